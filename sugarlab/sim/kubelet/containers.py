"""Containers whose command runs for real, confined (`sugarlab.sim.kubelet.sandbox`), as the kubelet runs them.

Each run of a container is one process with its own log file, so `kubectl logs --previous` reads the
run before the current one. Memory is measured from the process tree's resident set; a container
past its memory limit is killed as the kernel's OOM killer would (SIGKILL, exit 137, `OOMKilled`).
"""

from __future__ import annotations

import contextlib
import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil
from kubernetes.utils import parse_quantity

from sugarlab.common.objects import Obj
from sugarlab.sim.world.images import lookup

OOM_EXIT = 137  # 128 + SIGKILL
CPU_SECONDS = 600  # a runaway loop is stopped by the kernel (SIGXCPU, then SIGKILL)
FILE_BYTES = 2 * 1024**3  # no single file of a container grows past this


class SandboxMissing(RuntimeError):
    """The container's sandbox cannot be built: bwrap is not installed (Debian's `bubblewrap`: `make
    system-packages`), or one of its volumes cannot be mounted (`file_volumes.MountFailed`)."""


@dataclass(frozen=True)
class Confined:
    """How a container's command starts on this machine (`sandbox.confine`): the argv, the environment of
    the confining program itself, and its working directory."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


def limit_resources() -> None:
    """Run in the child before it becomes the container: bounds that the container cannot lift."""
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    log: Path
    memory_limit: int | None
    oom_killed: bool = False


@dataclass(frozen=True)
class Exit:
    code: int
    reason: str  # Completed, Error, OOMKilled or StartError (kubelet's container status reasons)
    message: str = ""


def memory_limit(container: Obj) -> int | None:
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    return int(parse_quantity(limit)) if limit is not None else None


def command_of(container: Obj) -> list[str]:
    """What the container runs: its command and args; without a command, where the catalogue knows the
    image's own command, the pod's args or else that command (its entrypoint runs its arguments)."""
    own = lookup(container.get("image", "")).command
    if container.get("command") or not own:
        return [*container.get("command", []), *container.get("args", [])]
    return list(container.get("args") or own)


class RealContainers:
    def __init__(self, state_dir: Path) -> None:
        self.logs = state_dir / "logs"
        self._runs: dict[tuple[str, str], Run] = {}  # (pod uid, container name) -> its current run
        self._count: dict[tuple[str, str], int] = {}  # runs started so far

    def _log(self, uid: str, name: str, run: int) -> Path:
        return self.logs / uid / f"{name}.{run}.log"

    def start(self, uid: str, container: Obj, confined: Confined) -> None:
        key = (uid, container["name"])
        self._kill(key)
        run = self._count.get(key, 0)
        self._count[key] = run + 1
        log = self._log(uid, container["name"], run)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:
            process = subprocess.Popen(
                confined.argv,
                env=confined.env,
                cwd=confined.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=limit_resources,
            )
        self._runs[key] = Run(process, log, memory_limit(container))

    def runs(self, uid: str, name: str) -> bool:
        """Whether this simulator process started the container (one started before a restart is gone)."""
        return (uid, name) in self._runs

    def running(self, uid: str, name: str) -> bool:
        """Whether the container's current run is still going."""
        run = self._runs.get((uid, name))
        return run is not None and run.process.poll() is None

    def poll(self, uid: str, name: str) -> Exit | None:
        """How the container's current run ended, or None while it runs (killing it past its memory limit)."""
        run = self._runs.get((uid, name))
        if run is None:
            return None
        if run.process.poll() is None and run.memory_limit is not None and _rss(run.process.pid) > run.memory_limit:
            run.oom_killed = True
            run.process.kill()
            run.process.wait()
        code = run.process.poll()
        if code is None:
            return None
        if run.oom_killed:
            return Exit(OOM_EXIT, "OOMKilled")
        code = 128 - code if code < 0 else code  # killed by a signal: 128 + its number, as runc reports
        return Exit(code, "Completed" if code == 0 else "Error")

    def log(self, uid: str, name: str | None, previous: bool) -> str | None:
        """The current (or previous) run's output; None when the container never ran for real."""
        names = {n for (pod, n) in self._count if pod == uid}
        name = name or (next(iter(names)) if len(names) == 1 else None)
        if name is None or name not in names:
            return None
        run = self._count[(uid, name)] - (2 if previous else 1)
        path = self._log(uid, name, run)
        if run < 0 or not path.exists():
            raise LookupError(name)
        return path.read_text(errors="replace")

    def pause(self, uid: str) -> None:
        """Stop every process of the pod's containers (SIGSTOP), as I/O on a hung hard mount blocks them."""
        for process in self._processes(uid):
            with contextlib.suppress(psutil.Error):
                process.suspend()

    def resume(self, uid: str) -> None:
        for process in self._processes(uid):
            with contextlib.suppress(psutil.Error):
                process.resume()

    def _processes(self, uid: str) -> list[psutil.Process]:
        found: list[psutil.Process] = []
        for (pod, _), run in self._runs.items():
            if pod != uid or run.process.poll() is not None:
                continue
            try:
                root = psutil.Process(run.process.pid)
                found += [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
        return found

    def kill(self, uid: str, name: str) -> None:
        """Kill the container's current run (a failed liveness probe); `poll` then reports its exit."""
        run = self._runs.get((uid, name))
        if run is not None and run.process.poll() is None:
            run.process.kill()
            run.process.wait()

    def _kill(self, key: tuple[str, str]) -> None:
        run = self._runs.pop(key, None)
        if run is not None and run.process.poll() is None:
            run.process.kill()
            run.process.wait()

    def stop(self, uid: str) -> None:
        for key in [k for k in self._runs if k[0] == uid]:
            self._kill(key)

    def stop_all(self) -> None:
        for key in list(self._runs):
            self._kill(key)


def _rss(pid: int) -> int:
    """Resident memory of a process and its descendants (bwrap's child runs the container's command)."""
    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0
