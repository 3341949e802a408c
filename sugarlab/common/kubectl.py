"""What kubectl and the API make of an object: times and ages, image names, conditions, pod and node status.

The workbook's frames and the simulator's server-side tables both print these, so a pod reads the same in
`kubectl get`, in a notebook's table and in a report. Each rule follows the upstream source named beside it
(kubernetes/kubernetes unless another repository is named).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, overload

from sugarlab.common.objects import Obj

NONE = "<none>"
NODE_UNREACHABLE_REASON = "NodeLost"  # pkg/util/node.NodeUnreachablePodReason
ROLE_PREFIX = "node-role.kubernetes.io/"


# -- times --------------------------------------------------------------------------------------------
def format_time(moment: datetime) -> str:
    """apimachinery metav1.Time MarshalJSON: RFC 3339 in UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@overload
def parse_time(value: str | datetime) -> datetime: ...
@overload
def parse_time(value: None) -> None: ...
@overload
def parse_time(value: str | datetime | None) -> datetime | None: ...
def parse_time(value: str | datetime | None) -> datetime | None:
    """An aware UTC datetime from RFC 3339 text (metav1.Time, or MicroTime's fractional seconds).

    None stays None: Go's zero metav1.Time is serialised as null. A naive datetime is taken as UTC.
    """
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def human_duration(d: timedelta) -> str:
    """apimachinery pkg/util/duration.HumanDuration, rule for rule."""
    seconds = int(d.total_seconds())  # Go's int conversion truncates toward zero
    if seconds < -1:
        return "<invalid>"  # a clock skew of one second is forgiven
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def since(moment: str | datetime | None, now: datetime) -> str:
    """printers.go translateTimestampSince: `<unknown>` for a missing (zero) time."""
    parsed = parse_time(moment)
    return "<unknown>" if parsed is None else human_duration(now - parsed)


def age(obj: Obj, now: datetime) -> str:
    """The AGE column of every printer: the time since the object's creationTimestamp."""
    return since((obj.get("metadata") or {}).get("creationTimestamp"), now)


# -- images -------------------------------------------------------------------------------------------
def image_name(image: str) -> str:
    """`registry/owner/name:tag@digest` -> `owner/name` (`name` for Docker's official images).

    The first component is a registry host when it has a `.` or a `:` or is `localhost`, as
    splitDockerDomain decides in github.com/distribution/reference (normalize.go).
    """
    name = image.rsplit("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return "/".join(parts).removeprefix("library/")


# -- conditions ---------------------------------------------------------------------------------------
def condition(obj: Obj, kind: str) -> Obj | None:
    """The object's status condition of type `kind` (pkg/api/v1/pod GetPodCondition, and the node's alike)."""
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)


def condition_true(obj: Obj, kind: str) -> bool:
    found = condition(obj, kind)
    return found is not None and found.get("status") == "True"


def new_condition(kind: str, status: str, when: str, **extra: str) -> Obj:
    """A pod or Job condition as the kubelet and the controllers write it, `extra` (reason, message) last."""
    return {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": when, **extra}


def pod_ready(pod: Obj) -> bool:
    """pkg/api/v1/pod IsPodReady: the Ready condition is True."""
    return condition_true(pod, "Ready")


def node_ready(node: Obj) -> str:
    """The status of the node's Ready condition, `Unknown` when it has none (pkg/controller/nodelifecycle)."""
    found = condition(node, "Ready")
    return "Unknown" if found is None else str(found.get("status"))


# -- pods ---------------------------------------------------------------------------------------------
class PodStatus(NamedTuple):
    """printers.go printPod's READY (`ready`/`total`), STATUS (`reason`) and RESTARTS figures."""

    reason: str
    ready: int
    total: int
    restarts: int
    last_restart: datetime | None


def _restartable(container: Obj | None) -> bool:
    """pkg/api/v1/pod IsRestartableInitContainer: a sidecar."""
    return container is not None and container.get("restartPolicy") == "Always"


def _terminated_reason(terminated: Mapping[str, Any], prefix: str = "") -> str:
    if terminated.get("reason"):
        reason: str = terminated["reason"]
        return prefix + reason
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def _finished(container: Obj) -> datetime | None:
    return parse_time(((container.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return a if b is None or (a is not None and a >= b) else b


def pod_status(pod: Obj) -> PodStatus:
    """printers.go printPod: the reason kubectl shows rather than the phase, and the containers' figures."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    init_specs = {c.get("name", ""): c for c in spec.get("initContainers") or []}
    total = len(spec.get("containers") or []) + sum(_restartable(c) for c in spec.get("initContainers") or [])
    reason = status.get("reason") or status.get("phase") or ""
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    ready = restarts = sidecar_restarts = 0
    last: datetime | None = None
    last_sidecar: datetime | None = None
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        count, finished = int(cs.get("restartCount") or 0), _finished(cs)
        restarts, last = restarts + count, _later(last, finished)
        sidecar = _restartable(init_specs.get(cs.get("name", "")))
        if sidecar:
            sidecar_restarts, last_sidecar = sidecar_restarts + count, _later(last_sidecar, finished)
        state = cs.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if sidecar and cs.get("started"):
            ready += bool(cs.get("ready"))
            continue
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or [])}"
        initializing = True
        break

    if not initializing or condition_true(pod, "Initialized"):
        restarts, last = sidecar_restarts, last_sidecar
        running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts, last = restarts + int(cs.get("restartCount") or 0), _later(last, _finished(cs))
            state = cs.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None:
                reason = _terminated_reason(terminated)
            elif cs.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:  # a container still runs: back to Running, or NotReady
            reason = "Running" if pod_ready(pod) else "NotReady"

    deleting = (pod.get("metadata") or {}).get("deletionTimestamp") is not None
    if deleting and status.get("reason") == NODE_UNREACHABLE_REASON:
        reason = "Unknown"
    elif deleting and status.get("phase") not in ("Succeeded", "Failed"):  # podutil IsPodPhaseTerminal
        reason = "Terminating"
    return PodStatus(reason, ready, total, restarts, last)


def restarts_text(status: PodStatus, now: datetime) -> str:
    """printPod's RESTARTS cell: the count, and how long ago the last container restarted."""
    if status.restarts and status.last_restart is not None:
        return f"{status.restarts} ({since(status.last_restart, now)} ago)"
    return str(status.restarts)


def readiness_gates(pod: Obj) -> str:
    """printPod's READINESS GATES cell: how many of the gates' conditions are True, `<none>` without gates."""
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return NONE
    return f"{sum(condition_true(pod, g.get('conditionType', '')) for g in gates)}/{len(gates)}"


# -- nodes --------------------------------------------------------------------------------------------
def node_status(node: Obj) -> str:
    """printers.go printNode's STATUS: Ready, NotReady or Unknown, then SchedulingDisabled when cordoned."""
    ready = condition(node, "Ready")
    status = ["Unknown" if ready is None else "Ready" if ready.get("status") == "True" else "NotReady"]
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_roles(labels: Mapping[str, str]) -> str:
    """printers.go findNodeRoles: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role` values."""
    roles = {k[len(ROLE_PREFIX) :] for k in labels if k.startswith(ROLE_PREFIX) and len(k) > len(ROLE_PREFIX)}
    roles |= {v for k, v in labels.items() if k == "kubernetes.io/role" and v}
    return ",".join(sorted(roles)) or NONE
