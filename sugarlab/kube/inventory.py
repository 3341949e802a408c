"""Nodes and pods as frames with the columns of `kubectl get nodes -o wide` and `kubectl get pods -A -o wide`.

Display columns hold exactly the text kubectl prints (including `<none>`), so `sugarlab.views.tables` can
render them as-is; the extra columns (`created`, `cpu_allocatable`, ...) are typed for analysis.
The STATUS, ROLES, READY and AGE rules are kubectl's printers' (`sugarlab.common.kubectl`, which the
simulator's tables share).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast

import pandas as pd
from kubernetes.client import ApiClient
from kubernetes.utils import parse_quantity

from sugarlab.common.kubectl import (
    NONE,
    node_roles,
    node_status,
    parse_time,
    pod_status,
    readiness_gates,
    restarts_text,
    since,
)
from sugarlab.lab.cluster import Cluster

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


def as_dict(obj: Any) -> dict[str, Any]:
    """A plain dict for a kubernetes client model or a dict as the API returns it."""
    if isinstance(obj, Mapping):
        return dict(obj)
    return cast(dict[str, Any], ApiClient().sanitize_for_serialization(obj))


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
        "status": node_status(node),
        "roles": node_roles(labels),
        "age": since(created, now),
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


def _requests(spec: Mapping[str, Any], key: str) -> float:
    return sum(_quantity((c.get("resources") or {}).get("requests"), key) or 0.0 for c in spec.get("containers") or [])


def pod_row(obj: Any, now: datetime) -> dict[str, Any]:
    pod = as_dict(obj)
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    figures = pod_status(pod)
    created = parse_time(meta.get("creationTimestamp"))
    owners = meta.get("ownerReferences") or []
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else {})
    return {
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "ready": f"{figures.ready}/{figures.total}",
        "status": figures.reason,
        "restarts": restarts_text(figures, now),
        "age": since(created, now),
        "ip": status.get("podIP") or NONE,
        "node": spec.get("nodeName") or NONE,
        "nominated_node": status.get("nominatedNodeName") or NONE,
        "readiness_gates": readiness_gates(pod),
        "phase": status.get("phase") or "",
        "created": created,
        "owner_kind": owner.get("kind") or NONE,
        "cpu_request": _requests(spec, "cpu"),
        "memory_request": int(_requests(spec, "memory")),
        "restart_count": figures.restarts,
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
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    names = [head[a:b].strip().lower().replace("-", "_").replace(" ", "_") for a, b in bounds]
    rows = [[line[a:b].strip() for a, b in bounds] for line in lines[1:]]
    return pd.DataFrame(rows, columns=names, dtype=object)
