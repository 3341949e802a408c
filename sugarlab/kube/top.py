"""`kubectl top nodes` and `kubectl top pods -A` as frames, read from the metrics.k8s.io/v1beta1 API.

Percentages follow kubectl: usage divided by the node's *allocatable* capacity. Top pods carries no
percentage, as kubectl prints none (a pod has no capacity of its own; its limits may be unset).
Every frame has a `provenance` column (`cluster` or `simulated`), from the Cluster it was read from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import pandas as pd
from kubernetes.client.exceptions import ApiException
from kubernetes.utils import parse_quantity

from sugarlab.common.kubectl import parse_time
from sugarlab.kube.inventory import as_dict, parse_table
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.errors import ClusterError, MetricsUnavailable

UNKNOWN = "<unknown>"
METRICS_GROUP, METRICS_VERSION = "metrics.k8s.io", "v1beta1"

TOP_NODE_COLUMNS = [
    "name",
    "cpu_cores",
    "cpu_percent",
    "memory_bytes",
    "memory_percent",
    "status",
    "cpu_allocatable",
    "memory_allocatable",
    "timestamp",
    "window",
    "provenance",
]
TOP_POD_COLUMNS = ["namespace", "name", "cpu_cores", "memory_bytes", "containers", "timestamp", "window", "provenance"]

INSTALL_HINT = (
    "Install metrics-server from the upstream release manifests:\n\n"
    "    kubectl apply -f \\\n"
    "      https://github.com/kubernetes-sigs/metrics-server/releases/latest/download/components.yaml\n\n"
    "Wait until `kubectl get deployment metrics-server -n kube-system` shows AVAILABLE replicas "
    "before retrying."
)
NOT_SCRAPED_HINT = (
    "metrics-server answers but has not scraped these nodes yet. It collects every ~15 s and needs "
    "two samples per node, so wait about a minute after it (or the node) starts and retry. If the "
    "nodes stay <unknown>, read its logs: `kubectl logs -n kube-system deployment/metrics-server` "
    "(kubelet certificate errors on k3s/Raspberry Pi are common; check the kubelet port 10250 is "
    "reachable from the metrics-server pod)."
)


def _items(listing: Mapping[str, Any] | Iterable[Any]) -> list[dict[str, Any]]:
    if isinstance(listing, Mapping):
        return [as_dict(i) for i in listing.get("items") or []]
    return [as_dict(i) for i in listing]


def _window(value: Any) -> pd.Timedelta:
    return pd.Timedelta(value) if value else pd.NaT


def _percent(used: float, available: float | None) -> float:
    """kubectl prints int64(used/available*100); the frame keeps the float, tables truncate."""
    return used / available * 100 if available else float("nan")


def top_nodes_frame(
    node_metrics: Mapping[str, Any] | Iterable[Any], nodes: Iterable[Any], provenance: str
) -> pd.DataFrame:
    """One row per node in `nodes`; nodes metrics-server has not reported get NaN and status `<unknown>`."""
    metrics = {m["metadata"]["name"]: m for m in _items(node_metrics)}
    rows = []
    for node in (as_dict(n) for n in nodes):
        name = node["metadata"]["name"]
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        cpu_alloc = float(parse_quantity(allocatable["cpu"])) if "cpu" in allocatable else None
        mem_alloc = float(parse_quantity(allocatable["memory"])) if "memory" in allocatable else None
        sample = metrics.get(name)
        row: dict[str, Any] = {
            "name": name,
            "cpu_allocatable": cpu_alloc,
            "memory_allocatable": mem_alloc,
            "provenance": provenance,
            "status": UNKNOWN,
            "cpu_cores": float("nan"),
            "cpu_percent": float("nan"),
            "memory_bytes": float("nan"),
            "memory_percent": float("nan"),
            "timestamp": None,
            "window": pd.NaT,
        }
        if sample is not None:
            cpu = float(parse_quantity(sample["usage"]["cpu"]))
            memory = float(parse_quantity(sample["usage"]["memory"]))
            row.update(
                status="ok",
                cpu_cores=cpu,
                memory_bytes=memory,
                cpu_percent=_percent(cpu, cpu_alloc),
                memory_percent=_percent(memory, mem_alloc),
                timestamp=parse_time(sample.get("timestamp")),
                window=_window(sample.get("window")),
            )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=TOP_NODE_COLUMNS)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["window"] = pd.to_timedelta(frame["window"])
    return frame


def top_pods_frame(pod_metrics: Mapping[str, Any] | Iterable[Any], provenance: str) -> pd.DataFrame:
    """One row per pod: the sum of its containers' usage, like `kubectl top pods -A`."""
    rows = []
    for sample in _items(pod_metrics):
        containers = sample.get("containers") or []
        rows.append(
            {
                "namespace": sample["metadata"].get("namespace", ""),
                "name": sample["metadata"]["name"],
                "cpu_cores": sum(float(parse_quantity(c["usage"]["cpu"])) for c in containers),
                "memory_bytes": sum(float(parse_quantity(c["usage"]["memory"])) for c in containers),
                "containers": len(containers),
                "timestamp": parse_time(sample.get("timestamp")),
                "window": _window(sample.get("window")),
                "provenance": provenance,
            }
        )
    frame = pd.DataFrame(rows, columns=TOP_POD_COLUMNS)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame["window"] = pd.to_timedelta(frame["window"])
    return frame.sort_values(["namespace", "name"], kind="stable").reset_index(drop=True)


def _metrics_error(exc: ApiException, resource: str) -> MetricsUnavailable | ClusterError:
    if exc.status == 404:
        why = (
            f"the API group {METRICS_GROUP}/{METRICS_VERSION} is not served (404 for {resource}): "
            "metrics-server is not installed"
        )
    elif exc.status == 503:
        why = (
            f"the APIService v1beta1.{METRICS_GROUP} is registered but unavailable (503 for {resource}): "
            "metrics-server is not running or not ready yet"
        )
    else:
        return ClusterError(
            f"reading {METRICS_GROUP}/{METRICS_VERSION} {resource} failed: HTTP {exc.status} {exc.reason}"
        )
    return MetricsUnavailable(f"`kubectl top` has no data: {why}.\n\n{INSTALL_HINT}")


def _list_metrics(cluster: Cluster, resource: str, namespace: str | None = None) -> dict[str, Any]:
    try:
        if namespace:
            listed = cluster.custom.list_namespaced_custom_object(METRICS_GROUP, METRICS_VERSION, namespace, resource)
        else:
            listed = cluster.custom.list_cluster_custom_object(METRICS_GROUP, METRICS_VERSION, resource)
        return cast(dict[str, Any], listed)
    except ApiException as exc:
        raise _metrics_error(exc, resource) from None


def top_nodes(cluster: Cluster) -> pd.DataFrame:
    """`kubectl top nodes` for the cluster. Raises MetricsUnavailable when metrics-server is absent."""
    metrics = _list_metrics(cluster, "nodes")
    return top_nodes_frame(metrics, cluster.core.list_node().items, cluster.provenance)


def top_pods(cluster: Cluster, namespace: str | None = None) -> pd.DataFrame:
    """`kubectl top pods -A` (or `-n namespace`). Raises MetricsUnavailable when metrics-server is absent."""
    return top_pods_frame(_list_metrics(cluster, "pods", namespace), cluster.provenance)


def unreported_nodes(top: pd.DataFrame) -> list[str]:
    return cast(list[str], top.loc[top["status"] == UNKNOWN, "name"].tolist())


def diagnosis_markdown(top: pd.DataFrame | None = None, error: Exception | None = None) -> str:
    """A short markdown verdict on resource metrics for a notebook cell: OK, not scraped yet, or missing."""
    if error is not None:
        if isinstance(error, MetricsUnavailable):
            return f"**Resource metrics unavailable.** {error}"
        return f"**Reading resource metrics failed.** {error}"
    if top is None or top.empty:
        return "**No nodes reported.** The cluster lists no nodes; check `kubectl get nodes`."
    missing = unreported_nodes(top)
    source = ", ".join(sorted(set(top["provenance"]))) if "provenance" in top else "unknown"
    if missing:
        return f"**{len(missing)} of {len(top)} nodes show `<unknown>`** ({', '.join(missing)}). {NOT_SCRAPED_HINT}"
    return f"**Resource metrics OK** for all {len(top)} nodes (source: {source})."


def _quantity(text: str) -> float:
    return float("nan") if text in ("", UNKNOWN) else float(parse_quantity(text))


def _percent_text(text: str) -> float:
    return float("nan") if text in ("", UNKNOWN) else float(text.rstrip("%"))


def top_text_frame(text: str, provenance: str) -> pd.DataFrame:
    """The tables `kubectl top nodes` and `kubectl top pods -A` print, as one frame with a `kind` column.

    This is what Tutorial 13's `kubectl top nodes | tee resource-snapshot.csv` and `kubectl top pods -A
    | tee -a resource-snapshot.csv` leave: both tables, one after the other, each with its header
    (`NAME  CPU(cores)  CPU%  MEMORY(bytes)  MEMORY%`, then `NAMESPACE  NAME  CPU(cores)  MEMORY(bytes)`).
    Quantities keep kubectl's precision (`354m` is 0.354 cores, `2685Mi` is 2685 MiB); allocatable
    capacity is not printed, so it is left unknown. Raises ValueError when no such table is found.
    """
    chunks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith(("NAME ", "NAMESPACE ")):
            chunks.append([])
        if chunks and line.strip():
            chunks[-1].append(line)
    frames = []
    for chunk in chunks:
        table = parse_table("\n".join(chunk))
        if "cpu(cores)" not in table or "memory(bytes)" not in table:
            continue
        kind = "pod" if "namespace" in table else "node"
        frames.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "namespace": table["namespace"] if kind == "pod" else "",
                    "name": table["name"],
                    "cpu_cores": table["cpu(cores)"].map(_quantity),
                    "memory_bytes": table["memory(bytes)"].map(_quantity),
                    "cpu_percent": table["cpu%"].map(_percent_text) if "cpu%" in table else float("nan"),
                    "memory_percent": table["memory%"].map(_percent_text) if "memory%" in table else float("nan"),
                }
            )
        )
    if not frames:
        raise ValueError("holds no `kubectl top` table (a header such as NAME  CPU(cores)  CPU%  MEMORY(bytes))")
    frame = pd.concat(frames, ignore_index=True)
    return frame.assign(provenance=provenance)
