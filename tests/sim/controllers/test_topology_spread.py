"""The scheduler's hard topology spread constraints, as kube-scheduler's PodTopologySpread filter applies them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sugarlab.sim.controllers.topology_spread import MISSING_LABEL, SKEWED, spread_refusal

HOSTNAME = "kubernetes.io/hostname"
TAINT = {"key": "sugarkube.io/role", "value": "worker", "effect": "NoSchedule"}


def node(name: str, tainted: bool = False, labelled: bool = True) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {HOSTNAME: name} if labelled else {}},
        "spec": {"taints": [TAINT] if tainted else []},
    }


def pod(name: str, where: str = "", phase: str = "Running", **constraint: Any) -> dict[str, Any]:
    spread = {"maxSkew": 1, "topologyKey": HOSTNAME, "whenUnsatisfiable": "DoNotSchedule"}
    spread |= {"labelSelector": {"matchLabels": {"app": "stress"}}} | constraint
    return {
        "metadata": {"name": name, "namespace": "lab", "labels": {"app": "stress"}},
        "spec": {"nodeName": where, "topologySpreadConstraints": [spread]},
        "status": {"phase": phase},
    }


def untainted(n: dict[str, Any]) -> bool:
    return not n["spec"]["taints"]


def place(count: int, nodes: list[dict[str, Any]], **constraint: Any) -> Counter[str]:
    """Schedule `count` pods one at a time, each on the first node that lets it (the worst a score could do)."""
    placed: list[dict[str, Any]] = []
    for i in range(count):
        new = pod(f"p{i}", **constraint)
        allowed = [
            n["metadata"]["name"]
            for n in nodes
            if untainted(n) and not spread_refusal(new, n, nodes, placed, lambda _: True, untainted)
        ]
        if allowed:
            new["spec"]["nodeName"] = allowed[0]
            placed.append(new)
    return Counter(p["spec"]["nodeName"] for p in placed)


def test_pods_of_one_selector_spread_over_every_node_within_the_skew() -> None:
    assert place(4, [node("controller"), node("worker-a"), node("worker-b")]) == Counter(
        {"controller": 2, "worker-a": 1, "worker-b": 1}
    )


def test_an_untolerated_tainted_node_is_a_domain_unless_taints_are_honoured() -> None:
    nodes = [node("controller"), node("worker-a", tainted=True)]
    assert place(3, nodes) == Counter({"controller": 1})  # worker-a counts 0 and can never take one
    assert place(3, nodes, nodeTaintsPolicy="Honor") == Counter({"controller": 3})


def test_a_node_without_the_key_is_refused_and_finished_pods_do_not_count() -> None:
    nodes = [node("a"), node("b")]
    assert spread_refusal(pod("x"), node("c", labelled=False), nodes, [], lambda _: True, untainted) == MISSING_LABEL
    done = [pod("old", where="a", phase="Succeeded")]
    assert spread_refusal(pod("x"), nodes[0], nodes, done, lambda _: True, untainted) == ""
    running = [pod("now", where="a")]
    assert spread_refusal(pod("x"), nodes[0], nodes, running, lambda _: True, untainted) == SKEWED
    schedule_anyway = pod("y", whenUnsatisfiable="ScheduleAnyway")
    assert spread_refusal(schedule_anyway, nodes[0], nodes, running, lambda _: True, untainted) == ""
