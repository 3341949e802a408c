"""The serviceaccounts controller: every namespace that is not being deleted has a `default`
ServiceAccount, recreated when deleted (pkg/controller/serviceaccount/serviceaccounts_controller.go
in kubernetes/kubernetes, run by k3s's embedded kube-controller-manager)."""

from __future__ import annotations

from sugarlab.sim.machinery.since_boot import FirstPass
from sugarlab.sim.storage.store import Store

DEFAULT_ACCOUNT = "default"


class ServiceAccountController:
    def __init__(self, store: Store) -> None:
        self.store, self.boot = store, FirstPass()

    def reconcile(self) -> None:
        accounts = self.store.kind("ServiceAccount")
        for ns in self.store.view(self.store.kind("Namespace")):
            if (ns.get("status") or {}).get("phase") == "Terminating":
                continue
            name = ns["metadata"]["name"]
            if self.store.find(accounts, name, DEFAULT_ACCOUNT) is None:
                self.store.create(
                    accounts, {"metadata": self.boot.dated({"name": DEFAULT_ACCOUNT, "namespace": name}, ns)}
                )
        self.boot.done()
