"""What the workload controllers share: references to an owner, and pods made from its template."""

from __future__ import annotations

import copy

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.core_defaults import default_pod
from sugarlab.sim.apis.service_accounts import admit_pod
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store


def owner_ref(owner: Obj) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned(objects: list[Obj], owner: Obj) -> list[Obj]:
    uid = owner["metadata"]["uid"]
    return [o for o in objects if any(r["uid"] == uid for r in o["metadata"].get("ownerReferences", []))]


def create_pod(store: Store, owner: Obj, controller: str, labels: dict[str, str] | None = None) -> Obj:
    """A pod from `owner`'s template, named after it and owned by it, as its controller makes them."""
    template = copy.deepcopy(owner["spec"]["template"])
    meta = template.setdefault("metadata", {})
    meta.update(
        labels={**(meta.get("labels") or {}), **(labels or {})},
        generateName=f"{owner['metadata']['name']}-",
        namespace=owner["metadata"]["namespace"],
        ownerReferences=[owner_ref(owner)],
    )
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template["spec"]}
    default_pod(pod)
    admit_pod(store, pod, require_account=False)
    created = store.create(store.kind("Pod"), pod)
    events.record(store, owner, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}", controller)
    return created
