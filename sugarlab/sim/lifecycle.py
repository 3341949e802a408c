"""Start, reuse and stop the simulator process that serves one state directory.

One simulator serves one state directory: every client that asks for it gets the same server back
while it is alive, and a lock keeps two of them from starting two servers at once. A start that
fails raises `SimulatorStartFailed`, whose fields come from the JSON file the child writes when it
gives up (`start-failure.json`), never from parsing its log. A simulator started for an owner
(`sugarlab.sim.owner`) stops when that process is gone; one started without keeps running until stopped
or idle.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from filelock import FileLock

from sugarlab.sim.kubeconfig import version
from sugarlab.sim.owner import Owner
from sugarlab.sim.world.spec import ClusterSpec

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
SERVER_INFO = "server.json"  # written by the server once it listens, removed when it stops
START_FAILURE = "start-failure.json"  # written by `python -m sugarlab.sim serve` when it cannot start
LOG = "server.log"
CLUSTER_FILES = ("cluster.db", "cluster.db-wal", "cluster.db-shm", "kubeconfig.yaml")
# Simulators this process started: they outlive the call that started them, and are reaped when stopped.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class SimulatorStartFailed(Exception):
    """The simulator could not start. `reason` is one of `REASONS`; the other fields say why.

    `stored` and `wanted` are the specs of a state directory seeded from another spec; `port` is the
    port that was taken; `exit_code` and `log` describe a process that died.
    """

    REASONS = ("spec-mismatch", "port-in-use", "exited", "timeout")

    def __init__(
        self,
        reason: str,
        state_dir: Path,
        message: str,
        *,
        stored: dict[str, Any] | None = None,
        wanted: dict[str, Any] | None = None,
        port: int | None = None,
        exit_code: int | None = None,
    ) -> None:
        self.reason, self.state_dir, self.message = reason, state_dir, message
        self.stored, self.wanted, self.port, self.exit_code = stored, wanted, port, exit_code
        self.log = state_dir / LOG
        super().__init__(f"{reason}: {message}")


def answers(kubeconfig: Path) -> bool:
    """The readiness probe: does the API server of `kubeconfig` answer `/version` over TLS with its token?"""
    try:
        version(kubeconfig)
    except (OSError, ValueError):
        return False
    return True


def _alive(info: dict[str, Any]) -> bool:
    try:
        os.kill(info["pid"], 0)
    except OSError:
        return False
    return answers(Path(info["kubeconfig"]))


def status(state_dir: Path) -> dict[str, Any] | None:
    """The running simulator's server.json, or None when none is running for `state_dir`."""
    try:
        info = json.loads((state_dir / SERVER_INFO).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return info if _alive(info) else None


def ensure_running(state_dir: Path, spec: ClusterSpec, speed: float, port: int = 0, owner: Owner | None = None) -> Path:
    """The kubeconfig of the simulator serving `state_dir`, started first if it is not running. A simulator
    running at another speed or for another owner is replaced by one for these (the cluster itself is kept)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(state_dir / "lock"), timeout=START_TIMEOUT_S):
        info = status(state_dir)
        if info is not None:
            if info["spec"] != spec.as_dict():
                raise _mismatch(state_dir, info["spec"], spec)
            if info["speed"] == speed and info.get("owner") == _text(owner):
                return Path(info["kubeconfig"])
            _stop(state_dir, info)
        return _start(state_dir, spec, speed, port, owner)


def _text(owner: Owner | None) -> str | None:
    return None if owner is None else str(owner)


def _mismatch(state_dir: Path, stored: dict[str, Any], wanted: ClusterSpec) -> SimulatorStartFailed:
    changed = ", ".join(
        f"{k}={stored.get(k)!r} (asked {v!r})" for k, v in wanted.as_dict().items() if stored.get(k) != v
    )
    return SimulatorStartFailed(
        "spec-mismatch", state_dir, f"the cluster here was made with {changed}", stored=stored, wanted=wanted.as_dict()
    )


def _failure(state_dir: Path, spec: ClusterSpec, exit_code: int) -> SimulatorStartFailed:
    try:
        found = json.loads((state_dir / START_FAILURE).read_text())
    except (OSError, json.JSONDecodeError):
        found = {}
    if found.get("reason") == "spec-mismatch":
        return _mismatch(state_dir, found["stored"], spec)
    if found.get("reason") == "port-in-use":
        return SimulatorStartFailed("port-in-use", state_dir, found["message"], port=found["port"])
    return SimulatorStartFailed("exited", state_dir, f"the simulator exited with code {exit_code}", exit_code=exit_code)


def _start(state_dir: Path, spec: ClusterSpec, speed: float, port: int, owner: Owner | None) -> Path:
    for name in (SERVER_INFO, START_FAILURE):
        (state_dir / name).unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "sugarlab.sim",
        "serve",
        "--state",
        str(state_dir),
        "--spec",
        json.dumps(spec.as_dict()),
        "--speed",
        str(speed),
        "--port",
        str(port),
        *(() if owner is None else ("--owner", str(owner))),
    ]
    with open(state_dir / LOG, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    _CHILDREN[process.pid] = process
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _CHILDREN.pop(process.pid, None)
            raise _failure(state_dir, spec, process.returncode)
        info = status(state_dir)
        if info is not None and info["pid"] == process.pid:
            return Path(info["kubeconfig"])
        time.sleep(0.1)
    process.kill()
    process.wait()
    _CHILDREN.pop(process.pid, None)
    raise SimulatorStartFailed("timeout", state_dir, f"the simulator did not answer within {START_TIMEOUT_S:.0f} s")


def _stop(state_dir: Path, info: dict[str, Any]) -> None:
    try:
        os.kill(info["pid"], signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        if _exited(info["pid"]):
            break
        time.sleep(0.05)
    else:  # the whole process group: the server and the service processes it runs for pods
        os.killpg(info["pid"], signal.SIGKILL)
        if (child := _CHILDREN.pop(info["pid"], None)) is not None:
            child.wait()
    (state_dir / SERVER_INFO).unlink(missing_ok=True)


def _exited(pid: int) -> bool:
    """Whether the process has exited. A child of this process is waited for, so that it is reaped (a zombie's
    main thread can show as one while its other threads still exit, not yet reapable). Any other counts once it
    is a zombie: a simulator a notebook's kernel started outlives that kernel and is then init's to reap, which
    on some machines happens only every second or so."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return False
        del _CHILDREN[pid]
        return True
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def stop(state_dir: Path, reset: bool = False) -> bool:
    """Stop the simulator of `state_dir`; with `reset`, also forget its cluster. True if one was running."""
    info = status(state_dir)
    if info is not None:
        _stop(state_dir, info)
    if reset:
        for name in CLUSTER_FILES:
            (state_dir / name).unlink(missing_ok=True)
    return info is not None
