"""The `pods/eviction` subresource, after pkg/registry/core/pod/storage/eviction.go: an eviction of a healthy
pod is refused with 429 when its budget allows no disruption, and otherwise deletes the pod gracefully, as
`kubectl drain` relies on."""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.budgets import budget_status, healthy
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.selectors import selects
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store


def evict(store: Store, namespace: str, name: str, body: Obj | None) -> Obj:
    pod = store.get(store.kind("Pod"), namespace, name)
    options = (body or {}).get("deleteOptions") or {}
    if "deletionTimestamp" not in pod["metadata"] and pod.get("status", {}).get("phase") not in (
        "Succeeded",
        "Failed",
    ):
        budgets = [
            b
            for b in store.view(store.kind("PodDisruptionBudget"), namespace)
            if selects(b["spec"].get("selector"), pod["metadata"].get("labels") or {})
        ]
        if len(budgets) > 1:
            raise ApiError(
                500,
                "InternalError",
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            )
        if budgets:
            status = budget_status(store, budgets[0])
            # An unhealthy pod may go while the budget is met (unhealthyPodEvictionPolicy IfHealthyBudget).
            blocked = (
                status["disruptionsAllowed"] < 1
                if healthy(pod)
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
    delete_object(store, store.kind("Pod"), namespace, name, None if grace is None else int(grace))
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
