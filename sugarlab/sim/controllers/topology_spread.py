"""kube-scheduler's PodTopologySpread filter: a pod's `whenUnsatisfiable: DoNotSchedule` constraints.

As in k8s.io/kubernetes pkg/scheduler/framework/plugins/podtopologyspread/filtering.go: the domains are the
values of `topologyKey` on the nodes the pod could use (`nodeAffinityPolicy` Honor by default,
`nodeTaintsPolicy` Ignore by default: KEP-3094, whose NodeInclusionPolicyInPodTopologySpread gate is on
by default since 1.26); a node without the key cannot take the
pod; the pods counted are the scheduled, non-terminal, non-deleted pods of the pod's namespace that the
constraint's `labelSelector` selects (the scheduler's informer leaves out Succeeded and Failed pods); and
the pod fits a domain when its count, plus one if the pod itself is selected, exceeds the smallest
domain's count by at most `maxSkew`. `ScheduleAnyway` constraints only score, and are not modelled;
neither are `minDomains` nor `matchLabelKeys`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.selectors import selects

MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)"
SKEWED = "node(s) didn't match pod topology spread constraints"


def spread_refusal(
    pod: Obj,
    node: Obj,
    nodes: list[Obj],
    pods: list[Obj],
    matches: Callable[[Obj], bool],
    tolerated: Callable[[Obj], bool],
) -> str:
    """Why `node` breaks one of `pod`'s hard spread constraints ("" if it breaks none). `matches` says whether a
    node passes the pod's node affinity and selector, `tolerated` whether the pod tolerates its taints."""
    for constraint in pod["spec"].get("topologySpreadConstraints") or []:
        if constraint.get("whenUnsatisfiable", "DoNotSchedule") != "DoNotSchedule":
            continue
        key = constraint["topologyKey"]
        value = _labels(node).get(key)
        if value is None:
            return MISSING_LABEL
        by_affinity = constraint.get("nodeAffinityPolicy", "Honor") == "Honor"
        by_taints = constraint.get("nodeTaintsPolicy", "Ignore") == "Honor"
        domains = {
            n["metadata"]["name"]: _labels(n)[key]
            for n in nodes
            if key in _labels(n) and (not by_affinity or matches(n)) and (not by_taints or tolerated(n))
        }
        counts: Counter[str] = Counter(dict.fromkeys(domains.values(), 0))
        selector = constraint.get("labelSelector")
        for other in pods:
            where = other["spec"].get("nodeName")
            if (
                where in domains
                and other["metadata"]["namespace"] == pod["metadata"]["namespace"]
                and "deletionTimestamp" not in other["metadata"]
                and other.get("status", {}).get("phase") not in ("Succeeded", "Failed")
                and selects(selector, _labels(other))
            ):
                counts[domains[where]] += 1
        itself = 1 if selects(selector, _labels(pod)) else 0
        if counts[value] + itself - min(counts.values(), default=0) > int(constraint.get("maxSkew", 1)):
            return SKEWED
    return ""


def _labels(obj: Obj) -> dict[str, str]:
    return obj["metadata"].get("labels") or {}
