"""Start, reuse and stop the simulated cluster of a workspace.

One simulator serves one workspace: its state lives in `<workspace>/.sugarlab/sim/`, and every
notebook kernel that asks for it gets the same server back while it is alive. A lock keeps two
kernels from starting two servers at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from filelock import FileLock

from sugarlab.core.errors import SimulatorError
from sugarlab.core.params import LabParams
from sugarlab.sim.spec import ClusterSpec
from sugarlab.core.workspace import STATE_DIR

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def state_dir(workspace: Path) -> Path:
    return Path(workspace) / STATE_DIR / "sim"


def _alive(info: dict[str, Any]) -> bool:
    try:
        os.kill(info["pid"], 0)
        with urllib.request.urlopen(info["url"] + "/version", timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def status(workspace: Path) -> dict[str, Any] | None:
    """The running simulator's server.json, or None when none is running for `workspace`."""
    path = state_dir(workspace) / "server.json"
    try:
        info = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return info if _alive(info) else None


def ensure_running(params: LabParams) -> Path:
    """The kubeconfig of the workspace's simulator, started first if it is not running."""
    directory = state_dir(params.workspace_path)
    directory.mkdir(parents=True, exist_ok=True)
    spec = ClusterSpec.from_params(params)
    with FileLock(str(directory / "lock"), timeout=START_TIMEOUT_S):
        info = status(params.workspace_path)
        if info is not None:
            if info["spec"] != spec.as_dict():
                raise SimulatorError(_mismatch(params.workspace_path, info["spec"], spec))
            if info["speed"] == params.speed:
                return Path(info["kubeconfig"])
            _stop(directory, info)  # a new speed needs a new process; the cluster itself is kept
        return _start(directory, spec, params.speed)


def _mismatch(workspace: Path, stored: dict[str, Any], wanted: ClusterSpec) -> str:
    changed = ", ".join(f"{k}={stored.get(k)!r} (asked {v!r})" for k, v in wanted.as_dict().items()
                        if stored.get(k) != v)
    return (f"the workspace {workspace} already holds a simulated cluster made with {changed}. Use the same "
            f"parameters, another workspace, or `sugarlab sim stop --workspace {workspace} --reset` to start over.")


def _start(directory: Path, spec: ClusterSpec, speed: float) -> Path:
    (directory / "server.json").unlink(missing_ok=True)
    command = [sys.executable, "-m", "sugarlab.sim", "serve", "--state", str(directory),
               "--spec", json.dumps(spec.as_dict()), "--speed", str(speed)]
    with open(directory / "server.log", "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = (directory / "server.log").read_text(errors="replace").strip().splitlines()[-5:]
            if process.returncode == 3:
                stored = json.loads(tail[-1].split(": ", 1)[1])
                raise SimulatorError(_mismatch(directory.parent.parent, stored, spec))
            raise SimulatorError(f"the simulated cluster exited with code {process.returncode}: "
                                 + " | ".join(tail) + f" (log: {directory / 'server.log'})")
        info = status(directory.parent.parent)
        if info is not None and info["pid"] == process.pid:
            return Path(info["kubeconfig"])
        time.sleep(0.1)
    process.kill()
    raise SimulatorError(f"the simulated cluster did not answer within {START_TIMEOUT_S:.0f} s "
                         f"(log: {directory / 'server.log'})")


def _stop(directory: Path, info: dict[str, Any]) -> None:
    try:
        os.kill(info["pid"], signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            os.kill(info["pid"], 0)
        except ProcessLookupError:
            break
        _reap(info["pid"])
        time.sleep(0.05)
    else:  # the whole process group: the server and the service processes it runs for pods
        os.killpg(info["pid"], signal.SIGKILL)
    (directory / "server.json").unlink(missing_ok=True)


def _reap(pid: int) -> None:
    """Collect the exit status when the server is our own child, so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop(workspace: Path, reset: bool = False) -> bool:
    """Stop the workspace's simulator; with `reset`, also forget its cluster. True if one was running."""
    directory = state_dir(workspace)
    info = status(workspace)
    if info is not None:
        _stop(directory, info)
    if reset:
        for name in ("cluster.db", "cluster.db-wal", "cluster.db-shm", "kubeconfig.yaml"):
            (directory / name).unlink(missing_ok=True)
    return info is not None
