"""Objects that a real cluster has had since its components first started (a namespace's `default`
ServiceAccount, a node's Lease, the API server's own objects, a Service's Endpoints) are made by the
simulator's controllers at their first pass over a cluster that was seeded without them. They are
dated as their owner is, so `kubectl get` shows them as old as the cluster; anything the controllers
make afterwards (after a deletion, for a new namespace or node) is dated when it is made."""

from __future__ import annotations

from sugarlab.common.objects import Obj


class FirstPass:
    """Which controller passes are the first since the simulator started."""

    def __init__(self) -> None:
        self.first = True

    def dated(self, meta: Obj, owner: Obj | None) -> Obj:
        """`meta`, with the owner's creation time on the first pass."""
        created = (owner or {}).get("metadata", {}).get("creationTimestamp")
        return {**meta, "creationTimestamp": created} if self.first and created else meta

    def done(self) -> None:
        self.first = False
