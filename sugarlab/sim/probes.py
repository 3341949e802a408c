"""Startup and readiness probes of sandboxed containers, run as the kubelet's prober runs them.

pkg/kubelet/prober: a container with a startup probe is not `started` until the probe succeeds, and
its other probes wait for that; one with a readiness probe is not `ready` until that succeeds, and
becomes unready after `failureThreshold` failures in a row. Each failure is a Warning event
`Unhealthy` (`Startup probe failed: ...`; the same failure again once per 5 minutes). Defaults from pkg/apis/core/v1/defaults.go
(`SetDefaults_Probe`): every 10 s, a 1 s timeout, 3 failures, 1 success. Unlike the kubelet, a
container whose startup probe fails `failureThreshold` times is not killed: probes run on the
cluster's clock, so at speed 60 a budget of 30 one-second probes is half a real second, less than a
real program may take to start on a busy machine.

`tcpSocket` and `httpGet` probes are dialled inside the container's network namespace (`netns`), at its
loopback where the kubelet dials the pod's IP; the messages name the pod's IP as the kubelet's do.
`exec` and `grpc` probes are not run: such a container counts as passing them. Times are the
cluster's, so a probe every 10 s runs every 10 cluster seconds.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sugarlab.sim import events, netns
from sugarlab.sim.clock import format_time, parse_time
from sugarlab.sim.containers import RealContainers
from sugarlab.sim.store import Store

Obj = dict[str, Any]
PERIOD_S, TIMEOUT_S, FAILURES, SUCCESSES = 10, 1, 3, 1
RUN = ("tcpSocket", "httpGet")  # the probe handlers run here
# client-go's event spam filter lets one event per object through every 5 minutes once its burst is spent
# (tools/record/events_cache.go, defaultSpamQPS 1/300): a failure repeated is reported at that pace
REPEAT_S = 300.0


def runs(probe: Obj | None) -> bool:
    return probe is not None and any(handler in probe for handler in RUN)


def at_start(container: Obj) -> Obj:
    """A container's status as it starts: not started while its startup probe has not passed, not ready while
    any of its probes has not."""
    startup, readiness = runs(container.get("startupProbe")), runs(container.get("readinessProbe"))
    return {"started": not startup, "ready": not (startup or readiness)}


def gate(pod: Obj, real: set[str]) -> None:
    """The pod's status as its containers start: those of `real` (run for real) wait for their probes."""
    containers = {c["name"]: c for c in pod["spec"]["containers"]}
    for status in pod["status"].get("containerStatuses") or []:
        if status["name"] in real:
            status.update(at_start(containers[status["name"]]))
    _pod_ready(pod, pod["status"]["startTime"])


def _pod_ready(pod: Obj, stamp: str) -> None:
    ready = all(s.get("ready") for s in pod["status"].get("containerStatuses") or [])
    for condition in pod["status"].get("conditions") or []:
        if condition["type"] in ("Ready", "ContainersReady") and (condition["status"] == "True") != ready:
            condition["status"], condition["lastTransitionTime"] = ("True" if ready else "False"), stamp
            if ready:
                condition.pop("reason", None)
            else:
                condition["reason"] = "ContainersNotReady"


def _port(container: Obj, port: Any) -> int:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    return next(int(p["containerPort"]) for p in container.get("ports") or [] if p.get("name") == port)


def attempt(pid: int, container: Obj, probe: Obj, pod_ip: str) -> str | None:
    """Run one probe inside the namespace of `pid`: None when it passes, else the kubelet's failure message."""
    handler = probe.get("tcpSocket") or probe.get("httpGet") or {}
    try:
        port = _port(container, handler.get("port"))
    except StopIteration:
        return f"port {handler.get('port')!r} is not a port of the container"
    timeout = float(probe.get("timeoutSeconds", TIMEOUT_S))
    address = f"{pod_ip}:{port}"
    try:
        sock = netns.dial(pid, port, timeout)
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


@dataclass
class _State:
    restarts: int
    probed_at: dict[str, float] = field(default_factory=dict)  # probe kind -> last run (cluster epoch seconds)
    failures: dict[str, int] = field(default_factory=dict)
    successes: dict[str, int] = field(default_factory=dict)
    reported: dict[str, tuple[str, float]] = field(default_factory=dict)  # probe kind -> last event, when


class Prober:
    def __init__(self, store: Store, containers: RealContainers) -> None:
        self.store, self.containers = store, containers
        self._states: dict[tuple[str, str], _State] = {}

    def tend(self, pod: Obj, host: str, now: datetime) -> None:
        """Run the probes that are due for the pod's running containers, and write what they changed."""
        uid, meta = pod["metadata"]["uid"], pod["metadata"]
        pod = self.store.find(self.store.kind("Pod"), meta["namespace"], meta["name"]) or pod  # after any restart
        changes: dict[str, Obj] = {}
        statuses = {s["name"]: s for s in pod["status"].get("containerStatuses") or []}
        for container in pod["spec"]["containers"]:
            status = statuses.get(container["name"], {})
            if "running" not in status.get("state", {}) or not self.containers.runs(uid, container["name"]):
                continue
            key = (uid, container["name"])
            state = self._states.get(key)
            if state is None or state.restarts != status.get("restartCount", 0):
                state = self._states[key] = _State(status.get("restartCount", 0))
            change = self._probe(pod, container, status, state, host, now)
            if change:
                changes[container["name"]] = change
        if changes:
            self.store.update(
                self.store.kind("Pod"),
                pod["metadata"]["namespace"],
                pod["metadata"]["name"],
                lambda obj: self._apply(obj, changes, format_time(now)),
            )

    def _probe(self, pod: Obj, container: Obj, status: Obj, state: _State, host: str, now: datetime) -> Obj:
        started = status.get("started", True)
        kind = "readiness" if started else "startup"
        probe: Obj | None = container.get("readinessProbe" if started else "startupProbe")
        if probe is None or not runs(probe):
            return {}
        begun = parse_time(status["state"]["running"]["startedAt"]).timestamp()
        at = now.timestamp()
        if at < begun + probe.get("initialDelaySeconds", 0):
            return {}
        if at - state.probed_at.get(kind, float("-inf")) < probe.get("periodSeconds", PERIOD_S):
            return {}
        state.probed_at[kind] = at
        pid = self.containers.namespace(pod["metadata"]["uid"], container["name"])
        if pid is None:
            return {}
        failure = attempt(pid, container, probe, pod["status"].get("podIP", ""))
        if failure is None:
            state.failures[kind] = 0
            state.successes[kind] = state.successes.get(kind, 0) + 1
            if kind == "startup":
                return {"started": True, "ready": not runs(container.get("readinessProbe"))}
            if state.successes[kind] >= probe.get("successThreshold", SUCCESSES) and not status.get("ready"):
                return {"ready": True}
            return {}
        state.successes[kind] = 0
        state.failures[kind] = state.failures.get(kind, 0) + 1
        message = f"{'Startup' if kind == 'startup' else 'Readiness'} probe failed: {failure}"
        last = state.reported.get(kind)
        if last is None or last[0] != message or at - last[1] >= REPEAT_S:
            state.reported[kind] = (message, at)
            events.record(self.store, pod, "Unhealthy", message, "kubelet", warning=True, host=host)
        failed = state.failures[kind] >= probe.get("failureThreshold", FAILURES)
        # a startup probe's failures kill nothing here: see the module's docstring
        return {"ready": False} if failed and kind == "readiness" and status.get("ready") else {}

    @staticmethod
    def _apply(pod: Obj, changes: dict[str, Obj], stamp: str) -> None:
        for status in pod["status"].get("containerStatuses") or []:
            if "running" in status["state"]:
                status.update(changes.get(status["name"], {}))
        _pod_ready(pod, stamp)

    def forget(self, uid: str) -> None:
        for key in [k for k in self._states if k[0] == uid]:
            del self._states[key]
