"""Nodes and pods as frames with the columns of `kubectl get nodes -o wide` and `kubectl get pods -A -o wide`.

Display columns hold exactly the text kubectl prints (including `<none>`), so `sugarlab.views.tables` can
render them as-is; the extra columns (`created`, `cpu_allocatable`, ...) are typed for analysis.
The STATUS, ROLES, READY and AGE rules follow kubectl's printers (k8s.io/kubernetes
pkg/printers/internalversion/printers.go) and k8s.io/apimachinery's `duration.HumanDuration`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pandas as pd
from kubernetes.client import ApiClient
from kubernetes.utils import parse_quantity

from sugarlab.lab.cluster import Cluster

NONE = "<none>"

NODE_COLUMNS = [
    "name",
    "status",
    "roles",
    "age",
    "version",
    "internal_ip",
    "external_ip",
    "os_image",
    "kernel_version",
    "container_runtime",
]
NODE_EXTRAS = [
    "created",
    "cpu_allocatable",
    "memory_allocatable",
    "pods_allocatable",
    "arch",
    "unschedulable",
    "taints",
]
POD_COLUMNS = [
    "namespace",
    "name",
    "ready",
    "status",
    "restarts",
    "age",
    "ip",
    "node",
    "nominated_node",
    "readiness_gates",
]
POD_EXTRAS = ["phase", "created", "owner_kind", "cpu_request", "memory_request", "restart_count"]

_ROLE_PREFIX = "node-role.kubernetes.io/"


def as_dict(obj: Any) -> dict[str, Any]:
    """A plain dict for a kubernetes client model or a dict as the API returns it."""
    if isinstance(obj, Mapping):
        return dict(obj)
    return ApiClient().sanitize_for_serialization(obj)


def parse_time(value: Any) -> datetime | None:
    """An aware datetime from an RFC 3339 string or a datetime, else None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def human_duration(d: timedelta) -> str:
    """kubectl's AGE text: k8s.io/apimachinery/pkg/util/duration.HumanDuration, rule for rule."""
    seconds = int(d.total_seconds())  # Go's int() truncates toward zero
    if seconds < -1:
        return "<invalid>"
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


def age(created: datetime | None, now: datetime) -> str:
    return "<unknown>" if created is None else human_duration(now - created)


def _node_status(node: dict[str, Any]) -> str:
    conditions = {c.get("type"): c.get("status") for c in (node.get("status") or {}).get("conditions") or []}
    status = []
    if "Ready" in conditions:
        status.append("Ready" if conditions["Ready"] == "True" else "NotReady")
    if not status:
        status.append("Unknown")
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def node_roles(labels: Mapping[str, str]) -> str:
    roles = set()
    for key, value in labels.items():
        if key.startswith(_ROLE_PREFIX) and key[len(_ROLE_PREFIX) :]:
            roles.add(key[len(_ROLE_PREFIX) :])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or NONE


def _address(node: dict[str, Any], kind: str) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == kind:
            return address.get("address") or NONE
    return NONE


def _quantity(resources: Mapping[str, Any] | None, key: str) -> float | None:
    value = (resources or {}).get(key)
    return None if value is None else float(parse_quantity(value))


def node_row(obj: Any, now: datetime) -> dict[str, Any]:
    node = as_dict(obj)
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    info = status.get("nodeInfo") or {}
    labels = meta.get("labels") or {}
    created = parse_time(meta.get("creationTimestamp"))
    allocatable = status.get("allocatable") or {}
    memory = _quantity(allocatable, "memory")
    pods = _quantity(allocatable, "pods")
    return {
        "name": meta.get("name", ""),
        "status": _node_status(node),
        "roles": node_roles(labels),
        "age": age(created, now),
        "version": info.get("kubeletVersion") or "",
        "internal_ip": _address(node, "InternalIP"),
        "external_ip": _address(node, "ExternalIP"),
        "os_image": info.get("osImage") or "<unknown>",
        "kernel_version": info.get("kernelVersion") or "<unknown>",
        "container_runtime": info.get("containerRuntimeVersion") or "<unknown>",
        "created": created,
        "cpu_allocatable": _quantity(allocatable, "cpu"),
        "memory_allocatable": None if memory is None else int(memory),
        "pods_allocatable": None if pods is None else int(pods),
        "arch": info.get("architecture") or labels.get("kubernetes.io/arch") or "",
        "unschedulable": bool(spec.get("unschedulable")),
        "taints": ",".join(
            f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}"
            for t in spec.get("taints") or []
        )
        or NONE,
    }


def nodes_frame(nodes: Iterable[Any], now: datetime) -> pd.DataFrame:
    """One row per node, columns NODE_COLUMNS + NODE_EXTRAS, in the order given."""
    rows = [node_row(n, now) for n in nodes]
    frame = pd.DataFrame(rows, columns=NODE_COLUMNS + NODE_EXTRAS)
    frame["created"] = pd.to_datetime(frame["created"], utc=True)
    frame["memory_allocatable"] = frame["memory_allocatable"].astype("Int64")
    frame["pods_allocatable"] = frame["pods_allocatable"].astype("Int64")
    return frame


def _state(container: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    return (container.get("state") or {}).get(key)


def _terminated_reason(term: Mapping[str, Any], prefix: str = "") -> str:
    if term.get("reason"):
        return prefix + term["reason"]
    if term.get("signal"):
        return f"{prefix}Signal:{term['signal']}"
    return f"{prefix}ExitCode:{term.get('exitCode', 0)}"


def _pod_status(pod: dict[str, Any]) -> tuple[str, int, int, int, datetime | None]:
    """kubectl's STATUS, ready count, total count, restarts and last restart of one pod (printPod)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    init_specs = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = restarts = sidecar_restarts = 0
    last_restart: datetime | None = None

    def note_restart(container: Mapping[str, Any]) -> None:
        nonlocal last_restart
        finished = parse_time(((container.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        if finished and (last_restart is None or finished > last_restart):
            last_restart = finished

    reason = status.get("reason") or status.get("phase") or ""
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    initializing = False
    for i, container in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(container.get("restartCount") or 0)
        if container.get("restartCount"):
            note_restart(container)
        is_sidecar = container.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += int(container.get("restartCount") or 0)
        terminated, waiting = _state(container, "terminated"), _state(container, "waiting")
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if is_sidecar and container.get("started"):
            ready += 1 if container.get("ready") else 0
            continue
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in status.get("conditions") or []
    )
    if not initializing or initialized:
        restarts = sidecar_restarts
        has_running = False
        for container in reversed(status.get("containerStatuses") or []):
            restarts += int(container.get("restartCount") or 0)
            if container.get("restartCount"):
                note_restart(container)
            waiting, terminated = _state(container, "waiting"), _state(container, "terminated")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None:
                reason = _terminated_reason(terminated)
            elif container.get("ready") and _state(container, "running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            pod_ready = any(
                c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
            )
            reason = "Running" if pod_ready else "NotReady"

    deleting = (pod.get("metadata") or {}).get("deletionTimestamp") is not None
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, total, restarts, last_restart


def _requests(spec: Mapping[str, Any], key: str) -> float:
    return sum(_quantity((c.get("resources") or {}).get("requests"), key) or 0.0 for c in spec.get("containers") or [])


def _readiness_gates(pod: dict[str, Any]) -> str:
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return NONE
    true = {c.get("type") for c in (pod.get("status") or {}).get("conditions") or [] if c.get("status") == "True"}
    return f"{sum(g.get('conditionType') in true for g in gates)}/{len(gates)}"


def pod_row(obj: Any, now: datetime) -> dict[str, Any]:
    pod = as_dict(obj)
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    reason, ready, total, restarts, last_restart = _pod_status(pod)
    created = parse_time(meta.get("creationTimestamp"))
    restarts_text = str(restarts)
    if restarts and last_restart is not None:
        restarts_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    owners = meta.get("ownerReferences") or []
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else {})
    return {
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "ready": f"{ready}/{total}",
        "status": reason,
        "restarts": restarts_text,
        "age": age(created, now),
        "ip": status.get("podIP") or NONE,
        "node": spec.get("nodeName") or NONE,
        "nominated_node": status.get("nominatedNodeName") or NONE,
        "readiness_gates": _readiness_gates(pod),
        "phase": status.get("phase") or "",
        "created": created,
        "owner_kind": owner.get("kind") or NONE,
        "cpu_request": _requests(spec, "cpu"),
        "memory_request": int(_requests(spec, "memory")),
        "restart_count": restarts,
    }


def pods_frame(pods: Iterable[Any], now: datetime) -> pd.DataFrame:
    """One row per pod, columns POD_COLUMNS + POD_EXTRAS, sorted by namespace then name like kubectl -A."""
    rows = [pod_row(p, now) for p in pods]
    frame = pd.DataFrame(rows, columns=POD_COLUMNS + POD_EXTRAS)
    frame["created"] = pd.to_datetime(frame["created"], utc=True)
    return frame.sort_values(["namespace", "name"], kind="stable").reset_index(drop=True)


def cluster_now(cluster: Cluster) -> datetime:
    """The API server's clock now (the simulator's runs `speed` times faster than this machine's)."""
    _, _, headers = cluster.core.get_api_resources_with_http_info()
    return server_now(headers)


def server_now(headers: Mapping[str, str] | None) -> datetime:
    """The API server's clock from a response's Date header, else this machine's UTC clock."""
    for key, value in (headers or {}).items():
        if key.lower() == "date":
            try:
                return parsedate_to_datetime(value)
            except (TypeError, ValueError):
                break
    return datetime.now(UTC)


def list_nodes_frame(cluster: Cluster) -> pd.DataFrame:
    """`kubectl get nodes -o wide` from the cluster, aged by the API server's clock."""
    data, _, headers = cluster.core.list_node_with_http_info()
    return nodes_frame(data.items, server_now(headers))


def list_pods_frame(cluster: Cluster, namespace: str | None = None) -> pd.DataFrame:
    """`kubectl get pods -A -o wide` (or `-n namespace`) from the cluster."""
    if namespace:
        data, _, headers = cluster.core.list_namespaced_pod_with_http_info(namespace)
    else:
        data, _, headers = cluster.core.list_pod_for_all_namespaces_with_http_info()
    return pods_frame(data.items, server_now(headers))


def parse_table(text: str) -> pd.DataFrame:
    """The rows of one kubectl table (as `render` or kubectl prints it) as text columns.

    Columns start where a header word follows two or more spaces (`NOMINATED NODE` is one column),
    and are named like the frames' columns: `INTERNAL-IP` becomes `internal_ip`. Cells keep kubectl's
    text, `<none>` included. Raises ValueError when `text` has no header line.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0][:1].isupper():
        raise ValueError(f"not a kubectl table: it should begin with a header such as NAME, not {text[:40]!r}")
    head = lines[0]
    starts = [0] + [m.end() for m in re.finditer(r" {2,}(?=\S)", head)]
    bounds = list(zip(starts, starts[1:] + [None]))
    names = [head[a:b].strip().lower().replace("-", "_").replace(" ", "_") for a, b in bounds]
    rows = [[line[a:b].strip() for a, b in bounds] for line in lines[1:]]
    return pd.DataFrame(rows, columns=names, dtype=object)
