"""The kubelet's probes of containers that run for real: startup, liveness and readiness.

As pkg/kubelet/prober/worker.go in kubernetes/kubernetes: each probe of a container has a worker
that waits `initialDelaySeconds` after the container started, then probes every `periodSeconds`
(defaults from pkg/apis/core/v1/defaults.go: period 10 s, timeout 1 s, success threshold 1,
failure threshold 3). Liveness and readiness are not probed until the startup probe has succeeded;
a result changes only after `successThreshold` successes or `failureThreshold` failures in a row.
A readiness result starts as failure, liveness as success. A liveness or startup failure gets the
container killed ("Container c failed liveness probe, will be restarted") and the worker waits for
its next run. Every failed probe is a Warning event `Unhealthy` "<Kind> probe failed: <output>"
(pkg/kubelet/prober/prober.go), the same failure again at most once per 5 minutes.

An `exec` probe runs its command in the container as `kubectl exec` does (`exec.plan`): exit code 0
passes, anything else (and a timeout) fails. `tcpSocket` and `httpGet` probes dial the pod's IP as the
kubelet does, from inside the pod's network namespace (`sugarlab.sim.network.dial`). `grpc` probes are not run: they count as passing.
Probes run beside the controllers in two threads. Their times are cluster seconds, but a process
still takes real time to start, so a probe's timeout is at least `MIN_TIMEOUT_S` real seconds and a
container is probed at most every `MIN_GAP_S` real seconds: at high speeds thresholds count the same
probes over more cluster time, and a startup budget of 30 probes lasts at least 15 real seconds.
"""

from __future__ import annotations

import socket
import subprocess
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sugarlab.common.objects import Obj
from sugarlab.sim.kubelet.containers import RealContainers
from sugarlab.sim.kubelet.exec import Command, Refused, plan
from sugarlab.sim.kubelet.sandbox import network_namespace
from sugarlab.sim.network import dial as netns
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store

KINDS = ("startup", "liveness", "readiness")
DEFAULTS = {"periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
MIN_TIMEOUT_S = 2.0
MIN_GAP_S = 0.5
MAX_OUTPUT = 10 * 1024  # the exec prober reads at most 10 KB (pkg/probe/exec/exec.go)
# client-go's event spam filter lets one event per object through every 5 minutes once its burst is spent
# (tools/record/events_cache.go, defaultSpamQPS 1/300): a failure repeated is reported at that pace
REPEAT_S = 300.0


@dataclass
class Outcome:
    result: str  # "success" or "failure"
    output: str = ""


@dataclass
class Worker:
    kind: str
    spec: Obj
    result: str  # what the kubelet holds now
    last: str = ""
    run: int = 0
    due: float = 0.0  # cluster epoch seconds of the next probe
    real_due: float = 0.0  # monotonic seconds: not before this
    on_hold: bool = False
    pending: Future[Outcome] | None = field(default=None, repr=False)
    reported: tuple[str, float] = ("", float("-inf"))  # the last Unhealthy event and when (cluster seconds)


@dataclass
class Verdict:
    """What the probes say of a container now: started, ready, and whether to kill it (and why)."""

    started: bool
    ready: bool
    kill: str = ""


def probes_of(container: Obj) -> dict[str, Obj]:
    found = {kind: container.get(f"{kind}Probe") for kind in KINDS}
    return {kind: DEFAULTS | spec for kind, spec in found.items() if spec}


def _run(command: Command | Refused, timeout: float) -> Outcome:
    if isinstance(command, Refused):  # the runtime refused: the program is not in the image
        return Outcome("failure", command.stderr.decode(errors="replace"))
    try:
        done = subprocess.run(
            command.argv,
            env=command.env,
            cwd=command.cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as late:
        return Outcome("failure", _text(late.stdout, late.stderr))
    return Outcome("success" if done.returncode == 0 else "failure", _text(done.stdout, done.stderr))


def _text(stdout: bytes | None, stderr: bytes | None) -> str:
    return ((stdout or b"") + (stderr or b""))[:MAX_OUTPUT].decode(errors="replace")


def _port(container: Obj, port: Any) -> int:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    return next(int(p["containerPort"]) for p in container.get("ports") or [] if p.get("name") == port)


def attempt(namespace: Path | None, container: Obj, probe: Obj, pod_ip: str) -> str | None:
    """Run one probe inside the pod's network namespace: None when it passes, else the kubelet's failure
    message."""
    handler = probe.get("tcpSocket") or probe.get("httpGet") or {}
    try:
        port = _port(container, handler.get("port"))
    except StopIteration:
        return f"port {handler.get('port')!r} is not a port of the container"
    timeout = float(probe["timeoutSeconds"])
    address = f"{pod_ip}:{port}"
    if namespace is None:
        return f"dial tcp {address}: connect: network is unreachable"
    try:
        sock = netns.dial(namespace, pod_ip, port, timeout)
    except netns.DialFailed:
        error = f"dial tcp {address}: connect: connection refused"
        return error if "tcpSocket" in probe else f'Get "http://{address}{handler.get("path", "/")}": {error}'
    except netns.EnterFailed as cannot:
        return f"dial tcp {address}: {cannot.strerror}"
    with sock:
        if "tcpSocket" in probe:
            return None
        return _http(sock, handler, address, timeout)


def _http(sock: socket.socket, handler: Obj, address: str, timeout: float) -> str | None:
    """The kubelet's HTTP probe (pkg/probe/http): a GET whose status 200-399 passes."""
    headers = {"Host": address, "User-Agent": "kube-probe/1.33", "Accept": "*/*", "Connection": "close"}
    headers |= {h["name"]: h["value"] for h in handler.get("httpHeaders") or []}
    request = f"GET {handler.get('path', '/')} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.settimeout(timeout)
    try:
        sock.sendall((request + "\r\n").encode())
        line = sock.makefile("rb").readline().decode("latin-1").split()
    except OSError:
        return f'Get "http://{address}{handler.get("path", "/")}": context deadline exceeded'
    code = int(line[1]) if len(line) > 1 and line[1].isdigit() else 0
    return None if 200 <= code < 400 else f"HTTP probe failed with statuscode: {code}"


def _dial(running: bool, namespace: Path | None, container: Obj, probe: Obj, pod_ip: str) -> Outcome:
    if not running:  # the container's process is gone: its exit is seen on the next tend
        return Outcome("success")
    failure = attempt(namespace, container, probe, pod_ip)
    return Outcome("success") if failure is None else Outcome("failure", failure)


class Prober:
    def __init__(self, store: Store, state_dir: Path, containers: RealContainers) -> None:
        self.store, self.state_dir, self.containers = store, state_dir, containers
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="prober")
        self._workers: dict[tuple[str, str, str], Worker] = {}  # (pod uid, container, kind)

    def restarted(self, uid: str, name: str) -> None:
        """A new run of the container: every worker starts over from its initial value."""
        for kind in KINDS:
            self._workers.pop((uid, name, kind), None)

    def forget(self, uid: str) -> None:
        for key in [k for k in self._workers if k[0] == uid]:
            del self._workers[key]

    def verdict(self, pod: Obj, container: Obj, started_at: float, now: float, host: str) -> Verdict:
        """Collect finished probes, start those that are due, and say what they amount to."""
        uid, name = pod["metadata"]["uid"], container["name"]
        probes = probes_of(container)
        workers = {kind: self._worker(uid, name, kind, spec, started_at) for kind, spec in probes.items()}
        started = "startup" not in workers or workers["startup"].result == "success"
        kill = ""
        for kind, worker in workers.items():
            if kind != "startup" and not started:
                continue
            if kind == "startup" and started:
                continue
            if self._collect(pod, container, worker, now, host) and kind != "readiness":
                kill = f"Container {name} failed {kind} probe, will be restarted"
            self._launch(pod, container, worker, now)
        started = "startup" not in workers or workers["startup"].result == "success"
        ready = started and ("readiness" not in workers or workers["readiness"].result == "success")
        return Verdict(started, ready, kill)

    def _worker(self, uid: str, name: str, kind: str, spec: Obj, started_at: float) -> Worker:
        key = (uid, name, kind)
        if key not in self._workers:
            initial_value = {"readiness": "failure", "liveness": "success", "startup": "unknown"}[kind]
            self._workers[key] = Worker(kind, spec, initial_value, due=started_at + spec.get("initialDelaySeconds", 0))
        return self._workers[key]

    def _collect(self, pod: Obj, container: Obj, worker: Worker, now: float, host: str) -> bool:
        """Take a finished probe's result; True when it turns a liveness or startup probe to failure."""
        if worker.pending is None or not worker.pending.done():
            return False
        outcome, worker.pending = worker.pending.result(), None
        worker.real_due = time.monotonic() + MIN_GAP_S
        message = f"{worker.kind.capitalize()} probe failed: {outcome.output}"
        if outcome.result == "failure" and (message != worker.reported[0] or now - worker.reported[1] >= REPEAT_S):
            worker.reported = (message, now)
            events.record(self.store, pod, "Unhealthy", message, "kubelet", host=host, warning=True)
        worker.run = worker.run + 1 if worker.last == outcome.result else 1
        worker.last = outcome.result
        threshold = worker.spec["failureThreshold" if outcome.result == "failure" else "successThreshold"]
        if worker.run < threshold:
            return False
        worker.result = outcome.result
        if outcome.result == "failure" and worker.kind != "readiness":
            worker.on_hold, worker.run = True, 0
            return True
        return False

    def _launch(self, pod: Obj, container: Obj, worker: Worker, now: float) -> None:
        if worker.on_hold or worker.pending is not None or now < worker.due or time.monotonic() < worker.real_due:
            return
        worker.due = now + worker.spec["periodSeconds"]
        if "exec" in worker.spec:
            command = plan(self.store, self.state_dir, pod, container, list(worker.spec["exec"].get("command") or []))
            timeout = max(float(worker.spec["timeoutSeconds"]) / self.store.clock.rate(), MIN_TIMEOUT_S)
            worker.pending = self._pool.submit(_run, command, timeout)
        elif "tcpSocket" in worker.spec or "httpGet" in worker.spec:
            running = self.containers.running(pod["metadata"]["uid"], container["name"])
            namespace = network_namespace(self.state_dir, pod)
            pod_ip = pod["status"].get("podIP", "")
            worker.pending = self._pool.submit(_dial, running, namespace, container, worker.spec, pod_ip)
        else:  # grpc: see the module's docstring
            worker.pending = self._pool.submit(Outcome, "success")
