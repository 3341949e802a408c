"""Containers the simulator runs for real, as local processes: the inference service's pods.

A pod whose container runs `python -m sugarlab.payloads.edge_ai` gets a real server on 127.0.0.1 serving the
real model; the service proxy forwards to it, its readiness probe is really probed, its log is its
real output, and its CPU and memory are measured (psutil). Such figures are this machine's, not a
Raspberry Pi's: whoever reports them labels them `local`. Without cgroups, a container's CPU limit
is approximated by pinning its process to that many whole cores. Without a mount namespace, the paths its
environment names (MODEL_PATH, LABELS_PATH) are moved to their volume's directory: a hostPath one on the
node's disk, shared by the node's pods as a node's model cache is, any other in the pod's own directory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx
import psutil
from kubernetes.utils import parse_quantity

from sugarlab.common.objects import Obj
from sugarlab.sim.kubelet.containers import RealContainers
from sugarlab.sim.kubelet.fio_runs import FioRuns
from sugarlab.sim.kubelet.sandbox import host_path_dir, pod_dir
from sugarlab.sim.world.workloads import MODULE

TERM_WAIT_S = 5.0  # real seconds a service has to exit after SIGTERM before it is killed
PATH_VARIABLES = {"MODEL_PATH", "LABELS_PATH"}  # the service's settings that name files (payloads/edge_ai/settings.py)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    probe_path: str
    measured: psutil.Process
    sample: tuple[object, tuple[float, int]] | None = None  # (metrics window, figures) last measured


class LocalProcesses:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir, self.logs = state_dir, state_dir / "logs"
        self._running: dict[str, LocalProcess] = {}  # pod uid -> its process
        self.fio = FioRuns(state_dir)  # containers that run fio (see `sugarlab.sim.world.fio`)
        self.confined = RealContainers(state_dir)  # containers whose command runs confined (`sim.containers`)

    def start(self, pod: Obj, container: Obj) -> None:
        uid = pod["metadata"]["uid"]
        self.stop(uid)
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{pod['metadata']['namespace']}_{pod['metadata']['name']}_{container['name']}.log"
        port = _free_port()
        env = {
            **os.environ,
            **{e["name"]: str(e.get("value", "")) for e in container.get("env", [])},
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
        for name in PATH_VARIABLES & env.keys():
            env[name] = str(self._on_this_machine(pod, container, env[name]))
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", MODULE], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        probe = ((container.get("readinessProbe") or {}).get("httpGet") or {}).get("path", "/readyz")
        limit = ((container.get("resources") or {}).get("limits") or {}).get("cpu")
        if limit is not None:  # no cgroups here: a CPU limit becomes a set of whole cores
            cpus = sorted(os.sched_getaffinity(0))
            wanted = max(1, int(parse_quantity(limit)))
            os.sched_setaffinity(process.pid, {cpus[(len(self._running) + i) % len(cpus)] for i in range(wanted)})
        measured = psutil.Process(process.pid)
        measured.cpu_percent()  # the first call only starts psutil's interval
        self._running[uid] = LocalProcess(process, port, log, probe, measured)

    def _on_this_machine(self, pod: Obj, container: Obj, path: str) -> Path | str:
        """Where `path` of the container is for this process: in its volume's directory when a mount holds
        it (a path outside every mount is left as it is)."""
        wanted = PurePosixPath(path)
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        for mount in container.get("volumeMounts") or []:
            root = PurePosixPath(mount["mountPath"])
            if wanted == root or root in wanted.parents:
                volume = volumes.get(mount["name"], {"name": mount["name"]})
                if "hostPath" in volume:
                    real = host_path_dir(self.state_dir, pod, volume)
                else:
                    real = pod_dir(self.state_dir, pod["metadata"]["uid"]) / ".volumes" / mount["name"]
                    real.mkdir(parents=True, exist_ok=True)
                return real / (mount.get("subPath") or "") / wanted.relative_to(root)
        return path

    def endpoint(self, uid: str) -> int | None:
        local = self._running.get(uid)
        return local.port if local and local.process.poll() is None else None

    def exited(self, uid: str) -> bool:
        """Whether a running pod's process is gone: it ended, or an earlier run of the simulator started it
        (as a node's containers are restarted after k3s restarts)."""
        local = self._running.get(uid)
        return local is None or local.process.poll() is not None

    def ready(self, uid: str) -> bool:
        local = self._running.get(uid)
        if local is None or local.process.poll() is not None:
            return False
        try:
            # Plain HTTP: without verify=False httpx loads the CA bundle for every call (35 ms here, against
            # 0.7 ms), on the simulator's event loop, each tick while the service starts.
            url = f"http://127.0.0.1:{local.port}{local.probe_path}"
            return httpx.get(url, timeout=0.5, verify=False).status_code == 200
        except httpx.HTTPError:
            return False

    def usage(self, uid: str, window: object) -> tuple[float, int] | None:
        """CPU cores used since the previous metrics window, and resident memory in bytes; measured once
        per window, so every read of one window agrees, as metrics-server's do."""
        local = self._running.get(uid)
        if local is None:
            return None
        if local.sample is None or local.sample[0] != window:
            try:
                local.sample = (window, (local.measured.cpu_percent() / 100, local.measured.memory_info().rss))
            except psutil.Error:
                return None
        return local.sample[1]

    def log(self, uid: str, container: str | None = None, previous: bool = False) -> str | None:
        local = self._running.get(uid)
        if local is None:
            confined = self.confined.log(uid, container, previous)
            return confined if confined is not None else self.fio.log(uid)
        return local.log.read_text(errors="replace") if local.log.exists() else None

    def stop(self, uid: str, wait: float = TERM_WAIT_S) -> None:
        """End the pod's processes: SIGTERM to its service, SIGKILL once `wait` real seconds have passed."""
        self.fio.stop(uid)
        self.confined.stop(uid)
        _terminate([self._running.pop(uid)] if uid in self._running else [], wait)

    def terminate(self, uid: str) -> None:
        """Ask the pod's service to stop (SIGTERM) and return at once; `exited` tells when it has (`stop`
        ends the pod's other processes)."""
        local = self._running.get(uid)
        if local is not None and local.process.poll() is None:
            local.process.terminate()

    def stop_all(self) -> None:
        """Every process at once: the services are asked to stop together, then awaited."""
        self.fio.stop_all()
        self.confined.stop_all()
        _terminate([self._running.pop(uid) for uid in list(self._running)])


def _terminate(services: list[LocalProcess], wait: float = TERM_WAIT_S) -> None:
    """SIGTERM to each, then wait for each (`wait` s, then SIGKILL), so their shutdowns overlap."""
    running = [service.process for service in services if service.process.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
