"""What apiextensions-apiserver does with CustomResourceDefinitions besides storing them: it accepts their
names and establishes them, after which their resources are served (pkg/controller/status/naming_controller.go
and pkg/controller/establish/establishing_controller.go: `acceptedNames`, the NamesAccepted and Established
conditions, `storedVersions`), and deleting one first deletes every object of its kind (the
`customresourcecleanup.apiextensions.k8s.io` finalizer, pkg/controller/finalizer/crd_finalizer.go)."""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.custom_resources import custom_types, established_status
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store


def establish(store: Store) -> None:
    """Give every CRD whose names or versions changed the status that serves it."""
    rt = store.kind("CustomResourceDefinition")
    for crd in store.view(rt):
        if crd["metadata"].get("deletionTimestamp"):
            continue
        status = established_status(crd, store.clock.stamp())
        if crd.get("status") != status:
            store.replace(rt, {**crd, "status": status})


def remove_instances(store: Store, crd: Obj) -> None:
    """Delete every object of the kind `crd` declares, as its cleanup finalizer does before the CRD goes."""
    for rt in {t.key: t for t in custom_types([crd])}.values():
        for obj in store.list(rt):
            delete_object(store, rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"], 0)
