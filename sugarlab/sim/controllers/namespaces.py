"""The namespace controller: a namespace being deleted empties itself, then goes."""

from __future__ import annotations

from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store


class NamespaceController:
    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self) -> None:
        ns_type = self.store.kind("Namespace")
        for ns in self.store.view(ns_type):
            if ns.get("status", {}).get("phase") != "Terminating":
                continue
            name = ns["metadata"]["name"]
            remaining = [
                (rt, obj) for rt in self.store.stored_types() if rt.namespaced for obj in self.store.view(rt, name)
            ]
            for rt, obj in remaining:
                delete_object(self.store, rt, name, obj["metadata"]["name"])
            if not remaining:
                self.store.delete(ns_type, "", name)
