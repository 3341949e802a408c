"""`kubectl exec` on the simulated cluster: the websocket channel protocol and what a command does.

The API server side speaks `v4.channel.k8s.io` (what the official client's `stream` and kubectl
offer): one binary frame per output with the channel number first (1 stdout, 2 stderr), then the
command's `Status` on channel 3. A Python command in a container of a Python image runs for real on
this machine, with every path under the container's claimed volumes mapped to the volume's real
directory, so it reads and writes the same files the pod's writer does. Anything else is not found
in the container, as containerd would report it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

from sugarlab.sim.volumes import host_path
from sugarlab.sim.store import Store
from sugarlab.sim.workloads import image_name

Obj = dict[str, Any]
PROTOCOL = "v4.channel.k8s.io"
STDOUT, STDERR, ERROR = 1, 2, 3
EXEC_TIMEOUT_S = 60.0
PYTHONS = ("python", "python3")


class ExecError(Exception):
    """The container named does not exist in the pod."""


def status(exit_code: int) -> bytes:
    if exit_code == 0:
        return json.dumps({"metadata": {}, "status": "Success"}).encode()
    return json.dumps({"metadata": {}, "status": "Failure", "message": f"command terminated with non-zero exit code: "
                       f"error executing command [...], exit code {exit_code}", "reason": "NonZeroExitCode",
                       "details": {"causes": [{"reason": "ExitCode", "message": str(exit_code)}]}}).encode()


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


def run(store: Store, state_dir: Path, pod: Obj, container: Obj, command: list[str]) -> tuple[int, bytes, bytes]:
    """Exit code, stdout and stderr of `command` in the container."""
    program = PurePosixPath(command[0]).name if command else ""
    if program not in PYTHONS or "python" not in image_name(container["image"]):
        return 126, b"", (f'OCI runtime exec failed: exec failed: unable to start container process: exec: '
                          f'"{command[0] if command else ""}": executable file not found in $PATH: unknown\n').encode()

    def local(word: str) -> str:
        if not word.startswith("/"):
            return word
        mapped = host_path(store, state_dir, pod, container, word)
        return str(mapped) if mapped is not None else word

    env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME")},
           **{e["name"]: local(str(e.get("value", ""))) for e in container.get("env") or []}}
    try:
        done = subprocess.run([sys.executable, *(local(w) for w in command[1:])], capture_output=True, env=env,
                              stdin=subprocess.DEVNULL, timeout=EXEC_TIMEOUT_S, cwd=state_dir)
    except subprocess.TimeoutExpired as exc:
        return 137, exc.stdout or b"", (exc.stderr or b"") + b"\nkilled: the command ran past the exec timeout\n"
    return done.returncode, done.stdout, done.stderr
