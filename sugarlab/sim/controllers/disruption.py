"""PodDisruptionBudgets: the disruption controller's status and the eviction subresource.

Follows pkg/controller/disruption and pkg/registry/core/pod/storage/eviction.go: a budget counts the
healthy (Ready, not terminating) pods it selects against what it wants healthy; an eviction of a
healthy pod is refused with 429 when no disruption is allowed, and otherwise deletes the pod
gracefully, as `kubectl drain` relies on.
"""

from __future__ import annotations

import math

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.selectors import selects
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store


def _healthy(pod: Obj) -> bool:
    return "deletionTimestamp" not in pod["metadata"] and any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", [])
    )


def _scale(value: int | str, total: int, round_up: bool) -> int:
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    share = float(str(value).rstrip("%")) / 100 * total
    return math.ceil(share) if round_up else math.floor(share)


class Budgets:
    def __init__(self, store: Store) -> None:
        self.store = store

    def selected(self, pdb: Obj) -> list[Obj]:
        pods = self.store.view(self.store.kind("Pod"), pdb["metadata"]["namespace"])
        return [
            p
            for p in pods
            if selects(pdb["spec"].get("selector"), p["metadata"].get("labels") or {})
            and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
        ]

    def _expected(self, pods: list[Obj]) -> int:
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
            owner = self.store.find(self.store.kind(ref["kind"]), pod["metadata"]["namespace"], ref["name"])
            total += (owner or {}).get("spec", {}).get("replicas", 1)
        return total

    def status(self, pdb: Obj) -> Obj:
        pods = self.selected(pdb)
        healthy = sum(_healthy(p) for p in pods)
        spec = pdb["spec"]
        if "maxUnavailable" in spec:
            expected = self._expected(pods)
            desired = max(0, expected - _scale(spec["maxUnavailable"], expected, round_up=True))
        elif isinstance(spec.get("minAvailable", 1), int) or str(spec.get("minAvailable")).isdigit():
            expected, desired = len(pods), int(spec.get("minAvailable", 1))
        else:
            expected = self._expected(pods)
            desired = _scale(spec["minAvailable"], expected, round_up=True)
        allowed = max(0, healthy - desired)
        return {
            "observedGeneration": pdb["metadata"].get("generation", 1),
            "disruptionsAllowed": allowed,
            "currentHealthy": healthy,
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

    def reconcile(self) -> None:
        for pdb in self.store.view(self.store.kind("PodDisruptionBudget")):
            status = self.status(pdb)
            old = pdb.get("status") or {}
            if {k: v for k, v in old.items() if k != "conditions"} != {
                k: v for k, v in status.items() if k != "conditions"
            }:
                status["conditions"][0]["lastTransitionTime"] = self.store.clock.stamp()
                self.store.update(
                    self.store.kind("PodDisruptionBudget"),
                    pdb["metadata"]["namespace"],
                    pdb["metadata"]["name"],
                    lambda o: o.update(status=status),
                )

    def evict(self, namespace: str, name: str, body: Obj | None) -> Obj:
        pod = self.store.get(self.store.kind("Pod"), namespace, name)
        options = (body or {}).get("deleteOptions") or {}
        if "deletionTimestamp" not in pod["metadata"] and pod.get("status", {}).get("phase") not in (
            "Succeeded",
            "Failed",
        ):
            budgets = [
                b
                for b in self.store.view(self.store.kind("PodDisruptionBudget"), namespace)
                if selects(b["spec"].get("selector"), pod["metadata"].get("labels") or {})
            ]
            if len(budgets) > 1:
                raise ApiError(
                    500,
                    "InternalError",
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                )
            if budgets:
                status = self.status(budgets[0])
                # An unhealthy pod may go while the budget is met (unhealthyPodEvictionPolicy IfHealthyBudget).
                blocked = (
                    status["disruptionsAllowed"] < 1
                    if _healthy(pod)
                    else status["currentHealthy"] < status["desiredHealthy"]
                )
                if blocked:
                    raise ApiError(
                        429,
                        "TooManyRequests",
                        "Cannot evict pod as it would violate the pod's disruption budget.",
                        {
                            "causes": [
                                {
                                    "reason": "DisruptionBudget",
                                    "message": f"The disruption budget {budgets[0]['metadata']['name']} needs "
                                    f"{status['desiredHealthy']} healthy pods and has "
                                    f"{status['currentHealthy']} currently",
                                }
                            ]
                        },
                    )
        grace = options.get("gracePeriodSeconds")
        delete_object(self.store, self.store.kind("Pod"), namespace, name, None if grace is None else int(grace))
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
