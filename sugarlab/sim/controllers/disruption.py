"""PodDisruptionBudgets: the disruption controller keeps each budget's status (pkg/controller/disruption);
what it counts is `apis.budgets`, shared with the eviction subresource."""

from __future__ import annotations

from functools import partial

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.budgets import budget_status
from sugarlab.sim.storage.store import Store


def _set_status(budget: Obj, status: Obj) -> None:
    budget["status"] = status


class Budgets:
    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self) -> None:
        for pdb in self.store.view(self.store.kind("PodDisruptionBudget")):
            status = budget_status(self.store, pdb)
            old = pdb.get("status") or {}
            if {k: v for k, v in old.items() if k != "conditions"} != {
                k: v for k, v in status.items() if k != "conditions"
            }:
                status["conditions"][0]["lastTransitionTime"] = self.store.clock.stamp()
                self.store.update(
                    self.store.kind("PodDisruptionBudget"),
                    pdb["metadata"]["namespace"],
                    pdb["metadata"]["name"],
                    partial(_set_status, status=status),
                )
