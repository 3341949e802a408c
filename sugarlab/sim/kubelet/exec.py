"""What a command run by `kubectl exec` does in a container of the simulated cluster.

The protocol that carries it is `sugarlab.sim.kubelet.streaming.exec_session`. A command runs for real on this
machine, confined to the container's root with its volumes mounted (`sugarlab.sim.kubelet.sandbox`), so it
reads and writes the same files the pod's own process does; a program its image does not hold is not
found, as containerd reports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sugarlab.common.objects import Obj
from sugarlab.sim.kubelet.containers import SandboxMissing
from sugarlab.sim.kubelet.sandbox import confine
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.images import host_program, lookup
from sugarlab.sim.world.nas import MountError

STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
EXEC_TIMEOUT_S = 60.0
BIN_DIRS = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")


class ExecError(Exception):
    """The container named does not exist in the pod."""


def status(exit_code: int, command: list[str]) -> dict[str, Any]:
    """The `Status` kubelet writes on the error channel when the command ends.

    The message wraps the runtime's exit error, `error executing command %v, exit code %d` (Go's
    `%v` of the argv), in kubelet's `command terminated with non-zero exit code: %v`
    (kubelet's cri/streaming/remotecommand/exec.go)."""
    if exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command "
        f"[{' '.join(command)}], exit code {exit_code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(exit_code)}]},
    }


def container_of(pod: Obj, name: str | None) -> Obj:
    containers: list[Obj] = pod["spec"]["containers"]
    if not name:
        if len(containers) > 1:
            raise ExecError(
                f"a container name must be specified for pod {pod['metadata']['name']}, choose one of: "
                f"[{' '.join(c['name'] for c in containers)}]"
            )
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


def not_found(program: str) -> Refused:
    """containerd's answer when the program is not in the container (runc's exec of a missing file)."""
    return Refused(
        126,
        (
            f"OCI runtime exec failed: exec failed: unable to start container process: exec: "
            f'"{program}": executable file not found in $PATH: unknown\n'
        ).encode(),
    )


def runnable(container: Obj, program: str) -> bool:
    """Whether the container's image holds `program` (a name on its PATH, or a path in its /bin)."""
    image = lookup(container["image"])
    path = PurePosixPath(program)
    if len(path.parts) > 1 and str(path.parent) not in BIN_DIRS:
        return False
    return path.name in image.programs and host_program(image, path.name) is not None


def plan(store: Store, state_dir: Path, pod: Obj, container: Obj, command: list[str]) -> Command | Refused:
    """What `command` in the container does on this machine: it runs confined in the container's root."""
    if not command or not runnable(container, command[0]):
        return not_found(command[0] if command else "")
    try:
        confined = confine(store, state_dir, pod, container, command)
    except (MountError, SandboxMissing) as cannot:  # the NAS does not answer, or nothing here confines
        return Refused(126, f"OCI runtime exec failed: {cannot}: unknown\n".encode())
    return Command(confined.argv, confined.env, confined.cwd)
