"""What a PodDisruptionBudget counts, shared by the disruption controller's status and the eviction subresource
(pkg/controller/disruption and pkg/api/v1/pod's IsPodReady): a budget counts the healthy (Ready, not
terminating) pods it selects against what it wants healthy."""

from __future__ import annotations

import math

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.selectors import selects
from sugarlab.sim.storage.store import Store


def healthy(pod: Obj) -> bool:
    return "deletionTimestamp" not in pod["metadata"] and any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", [])
    )


def _scale(value: int | str, total: int, round_up: bool) -> int:
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    share = float(str(value).rstrip("%")) / 100 * total
    return math.ceil(share) if round_up else math.floor(share)


def selected(store: Store, pdb: Obj) -> list[Obj]:
    pods = store.view(store.kind("Pod"), pdb["metadata"]["namespace"])
    return [
        p
        for p in pods
        if selects(pdb["spec"].get("selector"), p["metadata"].get("labels") or {})
        and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
    ]


def _expected(store: Store, pods: list[Obj]) -> int:
    """The scale of the controllers behind the pods, as the disruption controller reads it."""
    total, seen = 0, set()
    for pod in pods:
        ref = next((r for r in pod["metadata"].get("ownerReferences", []) if r.get("controller")), None)
        if ref is None:
            total += 1
            continue
        if ref["uid"] in seen:
            continue
        seen.add(ref["uid"])
        owner = store.find(store.kind(ref["kind"]), pod["metadata"]["namespace"], ref["name"])
        total += (owner or {}).get("spec", {}).get("replicas", 1)
    return total


def budget_status(store: Store, pdb: Obj) -> Obj:
    pods = selected(store, pdb)
    count = sum(healthy(p) for p in pods)
    spec = pdb["spec"]
    if "maxUnavailable" in spec:
        expected = _expected(store, pods)
        desired = max(0, expected - _scale(spec["maxUnavailable"], expected, round_up=True))
    elif isinstance(spec.get("minAvailable", 1), int) or str(spec.get("minAvailable")).isdigit():
        expected, desired = len(pods), int(spec.get("minAvailable", 1))
    else:
        expected = _expected(store, pods)
        desired = _scale(spec["minAvailable"], expected, round_up=True)
    allowed = max(0, count - desired)
    return {
        "observedGeneration": pdb["metadata"].get("generation", 1),
        "disruptionsAllowed": allowed,
        "currentHealthy": count,
        "desiredHealthy": desired,
        "expectedPods": expected,
        "conditions": [
            {
                "type": "DisruptionAllowed",
                "status": "True" if allowed else "False",
                "reason": "SufficientPods" if allowed else "InsufficientPods",
                "message": "",
                "observedGeneration": pdb["metadata"].get("generation", 1),
            }
        ],
    }
