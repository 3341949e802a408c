"""What a command run by `kubectl exec` does in a container of the simulated cluster.

The protocol that carries it is `sugarlab.sim.exec_session`. A Python command in a container of a
Python image runs for real on this machine, with every path under the container's claimed volumes
mapped to the volume's real directory, so it reads and writes the same files the pod's writer does.
Anything else is not found in the container, as containerd would report it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sugarlab.sim.volumes import host_path
from sugarlab.sim.store import Store
from sugarlab.sim.workloads import image_name

Obj = dict[str, Any]
STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
EXEC_TIMEOUT_S = 60.0
PYTHONS = ("python", "python3")


class ExecError(Exception):
    """The container named does not exist in the pod."""


def status(exit_code: int, command: list[str]) -> dict[str, Any]:
    """The `Status` kubelet writes on the error channel when the command ends.

    The message wraps the runtime's exit error, `error executing command %v, exit code %d` (Go's
    `%v` of the argv), in kubelet's `command terminated with non-zero exit code: %v`
    (kubelet's cri/streaming/remotecommand/exec.go)."""
    if exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command "
                       f"[{' '.join(command)}], exit code {exit_code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(exit_code)}]}}


def container_of(pod: Obj, name: str | None) -> Obj:
    containers = pod["spec"]["containers"]
    if not name:
        if len(containers) > 1:
            raise ExecError(f"a container name must be specified for pod {pod['metadata']['name']}, choose one of: "
                            f"[{' '.join(c['name'] for c in containers)}]")
        return containers[0]
    found = next((c for c in containers if c["name"] == name), None)
    if found is None:
        raise ExecError(f"container {name} is not valid for pod {pod['metadata']['name']}")
    return found


@dataclass(frozen=True)
class Command:
    """How a command that really runs is started: the local argv, its environment and directory."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


@dataclass(frozen=True)
class Refused:
    """A command the container cannot run: its exit code and what the runtime writes to stderr."""

    exit_code: int
    stderr: bytes


def plan(store: Store, state_dir: Path, pod: Obj, container: Obj, command: list[str]) -> Command | Refused:
    """What `command` in the container does on this machine."""
    program = PurePosixPath(command[0]).name if command else ""
    if program not in PYTHONS or "python" not in image_name(container["image"]):
        missing = command[0] if command else ""
        return Refused(126, (f'OCI runtime exec failed: exec failed: unable to start container process: exec: '
                             f'"{missing}": executable file not found in $PATH: unknown\n').encode())

    def local(word: str) -> str:
        if not word.startswith("/"):
            return word
        mapped = host_path(store, state_dir, pod, container, word)
        return str(mapped) if mapped is not None else word

    env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME")},
           **{e["name"]: local(str(e.get("value", ""))) for e in container.get("env") or []}}
    return Command([sys.executable, *(local(w) for w in command[1:])], env, state_dir)
