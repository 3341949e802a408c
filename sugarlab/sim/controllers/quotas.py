"""The resource quota controller's status: `hard` as the spec asks, `used` as counted in the namespace
(pkg/controller/resourcequota and pkg/quota/v1/evaluator/core in kubernetes/kubernetes). Pods that
have finished or are being deleted do not count; object counts cover the core kinds and `count/<resource>`.
Quotas are reported, not enforced: a request over quota is not refused."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from kubernetes.utils import parse_quantity

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.resources import RESOURCE_TYPES
from sugarlab.sim.storage.store import Store

COUNTED = {
    "pods": "pods",
    "services": "services",
    "secrets": "secrets",
    "configmaps": "configmaps",
    "persistentvolumeclaims": "persistentvolumeclaims",
    "replicationcontrollers": "replicationcontrollers",
    "resourcequotas": "resourcequotas",
}
BINARY = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def format_amount(value: Decimal, binary: bool) -> str:
    """A sum as resource.Quantity prints it: millis for fractions, the largest exact binary suffix for bytes."""
    if value == 0:
        return "0"
    if value != value.to_integral_value():
        return f"{int(value * 1000)}m"
    whole = int(value)
    if binary:
        for suffix, size in BINARY:
            if whole % size == 0:
                return f"{whole // size}{suffix}"
    return str(whole)


def _live(pod: Obj) -> bool:
    return "deletionTimestamp" not in pod["metadata"] and (pod.get("status") or {}).get("phase") not in (
        "Succeeded",
        "Failed",
    )


def _compute(pods: list[Obj], section: str, resource: str) -> tuple[Decimal, bool]:
    total, binary = Decimal(0), False
    for pod in pods:
        for container in (pod.get("spec") or {}).get("containers") or []:
            amount = ((container.get("resources") or {}).get(section) or {}).get(resource)
            if amount is not None:
                total += parse_quantity(amount)
                binary = binary or str(amount).endswith("i")
    return total, binary


def _set_status(quota: Obj, status: Obj) -> None:
    quota["status"] = status


class QuotaController:
    def __init__(self, store: Store) -> None:
        self.store = store

    def _count(self, namespace: str, resource: str) -> int:
        plural = COUNTED.get(resource) or resource.removeprefix("count/")
        name, _, group = plural.partition(".")
        rt = next((t for t in RESOURCE_TYPES if t.plural == name and t.group == group and t.namespaced), None)
        if rt is None:
            return 0
        objects = self.store.view(rt, namespace)
        return sum(_live(o) for o in objects) if rt.kind == "Pod" else len(objects)

    def _used(self, namespace: str, resource: str) -> str:
        pods = [p for p in self.store.view(self.store.kind("Pod"), namespace) if _live(p)]
        section, _, name = resource.rpartition(".")
        if resource in ("cpu", "memory", "ephemeral-storage") or (
            section in ("requests", "limits") and name in ("cpu", "memory", "ephemeral-storage")
        ):
            total, binary = _compute(pods, section or "requests", name)
            return format_amount(total, binary)
        if resource == "requests.storage":
            claims = self.store.view(self.store.kind("PersistentVolumeClaim"), namespace)
            amounts = [
                ((c.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage") for c in claims
            ]
            present = [a for a in amounts if a]
            return format_amount(
                sum((parse_quantity(a) for a in present), Decimal(0)), any(a.endswith("i") for a in present)
            )
        return str(self._count(namespace, resource))

    def reconcile(self) -> None:
        rt = self.store.kind("ResourceQuota")
        for quota in self.store.view(rt):
            meta = quota["metadata"]
            hard = dict((quota.get("spec") or {}).get("hard") or {})
            status = {"hard": hard, "used": {r: self._used(meta["namespace"], r) for r in hard}}
            if quota.get("status") != status:
                self.store.update(rt, meta["namespace"], meta["name"], partial(_set_status, status=status))
