"""kube-controller-manager's root-ca-cert-publisher: every namespace that is not being deleted holds a
`kube-root-ca.crt` ConfigMap with the cluster's CA, put back when deleted or changed
(pkg/controller/certificates/rootcacertpublisher/publisher.go in kubernetes/kubernetes, `syncNamespace`).
The pods' `kube-api-access-*` volumes read it (`sugarlab.sim.apis.service_accounts`)."""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.service_accounts import ROOT_CA_CONFIGMAP, ROOT_CA_KEY
from sugarlab.sim.machinery.since_boot import FirstPass
from sugarlab.sim.storage.store import Store

# publisher.go's DescriptionAnnotation and its value
DESCRIPTION = {
    "kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using "
    "internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed "
    "across distributions of Kubernetes clusters."
}


class RootCaPublisher:
    def __init__(self, store: Store, ca_pem: bytes) -> None:
        self.store, self.boot = store, FirstPass()
        self.data = {ROOT_CA_KEY: ca_pem.decode()}

    def reconcile(self) -> None:
        maps = self.store.kind("ConfigMap")
        for ns in self.store.view(self.store.kind("Namespace")):
            if (ns.get("status") or {}).get("phase") == "Terminating":
                continue
            namespace = ns["metadata"]["name"]
            found = self.store.find(maps, namespace, ROOT_CA_CONFIGMAP)
            if found is None:
                meta = {"name": ROOT_CA_CONFIGMAP, "namespace": namespace, "annotations": dict(DESCRIPTION)}
                self.store.create(maps, {"metadata": self.boot.dated(meta, ns), "data": dict(self.data)})
            elif (
                found.get("data") != self.data
                or not DESCRIPTION.items() <= (found["metadata"].get("annotations") or {}).items()
            ):
                self.store.update(maps, namespace, ROOT_CA_CONFIGMAP, self._restore)
        self.boot.done()

    def _restore(self, cm: Obj) -> None:
        cm["data"] = dict(self.data)
        cm.pop("binaryData", None)
        cm["metadata"]["annotations"] = (cm["metadata"].get("annotations") or {}) | DESCRIPTION
