"""The garbage collector: dependents go when all their owners have gone, and events expire.

Events live for an hour, kube-apiserver's default `--event-ttl`.
"""

from __future__ import annotations

from datetime import timedelta

from sugarlab.common.kubectl import parse_time
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store

EVENT_TTL = timedelta(hours=1)


class GarbageCollector:
    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self) -> None:
        types = self.store.stored_types()
        existing = {o["metadata"]["uid"] for rt in types for o in self.store.view(rt)}
        for rt in types:
            for obj in self.store.view(rt):
                owners = obj["metadata"].get("ownerReferences") or []
                if owners and not any(ref["uid"] in existing for ref in owners):
                    delete_object(self.store, rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        expired = self.store.clock.now() - EVENT_TTL
        events = self.store.kind("Event")
        for event in self.store.view(events):
            if parse_time(event["lastTimestamp"]) < expired:
                self.store.delete(events, event["metadata"]["namespace"], event["metadata"]["name"])
