"""metrics.k8s.io/v1beta1 as metrics-server serves it, computed from the cluster's running pods.

Node usage is the k3s processes' own footprint (server or agent, from the K3s resource profile),
a small operating-system share, and the pods on the node. Figures are fixed within one metrics
window (metrics-server's default --metric-resolution=15s), so two reads in a window agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from kubernetes.utils import parse_quantity

from sugarlab.common.kubectl import format_time, parse_time
from sugarlab.common.objects import Obj
from sugarlab.sim.world.profiles import (
    K3S_AGENT_CPU_PI4,
    K3S_AGENT_MEMORY_KI,
    K3S_SERVER_CPU_PI4,
    K3S_SERVER_MEMORY_KI,
    NODE_PROFILES,
    NodeProfile,
)
from sugarlab.sim.world.seed import PROFILE_ANNOTATION
from sugarlab.sim.world.workloads import MI, behaviour, jitter

Usage = tuple[str, float, int]  # container name, CPU cores, memory bytes
Measure = Callable[[str, datetime], "tuple[float, int] | None"]  # pod uid, window -> measured cores, bytes
WINDOW_S = 15
FIRST_SCRAPE_S = 60  # metrics-server reports a node only after two scrapes of its kubelet
OS_CPU, OS_MEMORY = 0.015, 170 * MI  # sshd, journald, avahi and friends on Raspberry Pi OS Lite


def _cpu(cores: float) -> str:
    return f"{max(int(cores * 1e9), 0)}n"


def _memory(bytes_: int) -> str:
    return f"{max(bytes_ // 1024, 0)}Ki"


def window_end(now: datetime) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % WINDOW_S, tz=now.tzinfo)


def _cpu_limit(container: Obj) -> float:
    limit = ((container.get("resources") or {}).get("limits") or {}).get("cpu")
    return float(parse_quantity(limit)) if limit is not None else math.inf


def _overhead(node: Obj, profile: NodeProfile) -> tuple[float, float]:
    """CPU (cores) and memory (bytes) of k3s itself and the operating system on `node`."""
    server = "node-role.kubernetes.io/control-plane" in node["metadata"].get("labels", {})
    cpu, memory_ki = (K3S_SERVER_CPU_PI4, K3S_SERVER_MEMORY_KI) if server else (K3S_AGENT_CPU_PI4, K3S_AGENT_MEMORY_KI)
    return (cpu + OS_CPU) / profile.cpu_speed, memory_ki * 1024 + OS_MEMORY


def container_usage(
    nodes: list[Obj], pods: list[Obj], seed: int, window: datetime, measured: Measure
) -> dict[str, list[Usage]]:
    """Per running pod (by uid), each container's CPU and memory in this window.

    Busy containers share what the node's cores have left after k3s and the idle containers, in
    proportion to what they want (the CFS scheduler's equal-weight share), capped by CPU limits.
    Containers that run for real report what `measured` (pod uid -> cores, bytes) measures.
    """
    by_node: dict[str, list[Obj]] = {}
    for pod in filter(_running, pods):
        by_node.setdefault(pod["spec"].get("nodeName", ""), []).append(pod)
    usage: dict[str, list[Usage]] = {}
    for node in nodes:
        profile = NODE_PROFILES[node["metadata"]["annotations"][PROFILE_ANNOTATION]]
        wants = [
            (pod, c, behaviour(c))
            for pod in by_node.get(node["metadata"]["name"], [])
            for c in pod["spec"]["containers"]
        ]
        idle = sum(b.cpu / profile.cpu_speed for _, _, b in wants if not b.busy)
        busy = sum(min(b.cpu, _cpu_limit(c)) for _, c, b in wants if b.busy)
        spare = profile.cpu_cores - _overhead(node, profile)[0] - idle
        share = min(1.0, max(spare, 0.0) / busy) if busy else 1.0
        for pod, container, b in wants:
            key = (seed, pod["metadata"]["uid"], container["name"], window)
            if b.local:
                cpu, memory = measured(pod["metadata"]["uid"], window) or (0.0, 0)
                usage.setdefault(pod["metadata"]["uid"], []).append((container["name"], cpu, memory))
                continue
            if b.busy:
                cpu = min(b.cpu, _cpu_limit(container)) * share * jitter("cpu", *key, spread=0.02)
            else:
                cpu = b.cpu / profile.cpu_speed * jitter("cpu", *key, spread=0.25)
            memory = int(b.memory * jitter("mem", *key, spread=0.02))
            usage.setdefault(pod["metadata"]["uid"], []).append((container["name"], cpu, memory))
    return usage


def _running(pod: Obj) -> bool:
    return pod.get("status", {}).get("phase") == "Running" and "deletionTimestamp" not in pod["metadata"]


def _reported(node: Obj, now: datetime) -> bool:
    ready = next((c for c in node["status"]["conditions"] if c["type"] == "Ready"), None)
    return bool(
        ready
        and ready["status"] == "True"
        and now - parse_time(ready["lastTransitionTime"]) >= timedelta(seconds=FIRST_SCRAPE_S)
    )


def node_metrics(nodes: list[Obj], pods: list[Obj], seed: int, now: datetime, measured: Measure) -> list[Obj]:
    window = window_end(now)
    usage = container_usage(nodes, pods, seed, window, measured)
    on_node: dict[str, list[Usage]] = {}
    for pod in filter(_running, pods):
        on_node.setdefault(pod["spec"].get("nodeName", ""), []).extend(usage.get(pod["metadata"]["uid"], []))
    items = []
    for node in nodes:
        name = node["metadata"]["name"]
        if not _reported(node, now):
            continue
        profile = NODE_PROFILES[node["metadata"]["annotations"][PROFILE_ANNOTATION]]
        base_cpu, base_memory = _overhead(node, profile)
        cpu = base_cpu * jitter("node-cpu", seed, name, window, spread=0.2) + sum(u[1] for u in on_node.get(name, []))
        memory = base_memory * jitter("node-mem", seed, name, window, spread=0.01) + sum(
            u[2] for u in on_node.get(name, [])
        )
        items.append(
            _item(
                "NodeMetrics",
                {"name": name, "labels": node["metadata"].get("labels", {})},
                window,
                {
                    "usage": {
                        "cpu": _cpu(min(cpu, profile.cpu_cores)),
                        "memory": _memory(int(min(memory, profile.memory_ki * 1024))),
                    }
                },
            )
        )
    return items


def pod_metrics(nodes: list[Obj], pods: list[Obj], seed: int, now: datetime, measured: Measure) -> list[Obj]:
    window = window_end(now)
    reported = [n for n in nodes if _reported(n, now)]
    usage = container_usage(reported, pods, seed, window, measured)
    items = []
    for pod in filter(_running, pods):
        meta = pod["metadata"]
        if meta["uid"] not in usage:
            continue
        containers = [
            {"name": name, "usage": {"cpu": _cpu(cpu), "memory": _memory(memory)}}
            for name, cpu, memory in usage[meta["uid"]]
        ]
        items.append(
            _item(
                "PodMetrics",
                {"name": meta["name"], "namespace": meta["namespace"], "labels": meta.get("labels", {})},
                window,
                {"containers": containers},
            )
        )
    return items


def _item(kind: str, meta: Obj, window: datetime, body: Obj) -> Obj:
    return {
        "kind": kind,
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {**meta, "creationTimestamp": format_time(window + timedelta(seconds=WINDOW_S))},
        "timestamp": format_time(window),
        "window": f"{WINDOW_S}s",
        **body,
    }
