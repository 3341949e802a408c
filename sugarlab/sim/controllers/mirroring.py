"""The endpointslice mirroring controller: Endpoints written by hand for a Service without a selector
(an NFS server or a NAS outside the cluster, say) are mirrored into EndpointSlices, which is what
kube-proxy and `kubectl describe service` read (pkg/controller/endpointslicemirroring in
kubernetes/kubernetes). Endpoints labelled `endpointslice.kubernetes.io/skip-mirror` (those the
endpoints controller and the API server keep) are left alone."""

from __future__ import annotations

import copy
import random

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.owned import owner_ref
from sugarlab.sim.controllers.endpoints import MANAGED_BY, SERVICE_NAME, SKIP_MIRROR
from sugarlab.sim.machinery.names import suffix
from sugarlab.sim.storage.store import Store

MIRROR = "endpointslicemirroring-controller.k8s.io"


def _slice_body(subset: Obj) -> Obj:
    ports = [
        {"name": p.get("name", ""), "port": p["port"], "protocol": p.get("protocol", "TCP")}
        for p in subset.get("ports") or []
    ]
    endpoints = [
        {
            "addresses": [a["ip"]],
            "conditions": {"ready": ready},
            **({"nodeName": a["nodeName"]} if a.get("nodeName") else {}),
            **({"hostname": a["hostname"]} if a.get("hostname") else {}),
            **({"targetRef": a["targetRef"]} if a.get("targetRef") else {}),
        }
        for key, ready in (("addresses", True), ("notReadyAddresses", False))
        for a in subset.get(key) or []
    ]
    return {"addressType": "IPv4", "endpoints": endpoints, "ports": ports}


class EndpointsMirror:
    def __init__(self, store: Store) -> None:
        self.store, self.rng = store, random.Random()

    def reconcile(self) -> None:
        services = {
            (s["metadata"]["namespace"], s["metadata"]["name"]): s for s in self.store.view(self.store.kind("Service"))
        }
        slices = self.store.kind("EndpointSlice")
        mirrored: dict[tuple[str, str], list[Obj]] = {}
        for eps in self.store.view(slices):
            labels = eps["metadata"].get("labels") or {}
            if labels.get(MANAGED_BY) == MIRROR:
                mirrored.setdefault((eps["metadata"]["namespace"], labels.get(SERVICE_NAME, "")), []).append(eps)
        wanted: set[tuple[str, str]] = set()
        for endpoints in self.store.view(self.store.kind("Endpoints")):
            meta = endpoints["metadata"]
            key = (meta["namespace"], meta["name"])
            service = services.get(key)
            if (
                (meta.get("labels") or {}).get(SKIP_MIRROR) == "true"
                or service is None
                or (service.get("spec") or {}).get("selector")
            ):
                continue
            wanted.add(key)
            self._sync(endpoints, sorted(mirrored.get(key, []), key=lambda s: s["metadata"]["name"]))
        for key, stale in mirrored.items():
            if key not in wanted:
                for eps in stale:
                    self.store.delete(slices, eps["metadata"]["namespace"], eps["metadata"]["name"])

    def _sync(self, endpoints: Obj, existing: list[Obj]) -> None:
        rt, meta = self.store.kind("EndpointSlice"), endpoints["metadata"]
        labels = {**(meta.get("labels") or {}), SERVICE_NAME: meta["name"], MANAGED_BY: MIRROR}
        bodies = [_slice_body(s) for s in endpoints.get("subsets") or []]
        # Uneven on purpose: the slices beyond the shorter list are created or deleted below.
        for body, live in zip(bodies, existing, strict=False):
            if any(live.get(k) != v for k, v in body.items()) or live["metadata"].get("labels") != labels:
                current = copy.deepcopy(live)
                current["metadata"]["labels"] = labels
                self.store.replace(rt, current | body)
        for body in bodies[len(existing) :]:
            self.store.create(
                rt,
                {
                    "metadata": {
                        "name": f"{meta['name']}-{suffix(self.rng)}",
                        "namespace": meta["namespace"],
                        "generateName": f"{meta['name']}-",
                        "labels": labels,
                        "ownerReferences": [owner_ref({"apiVersion": "v1", "kind": "Endpoints", "metadata": meta})],
                    },
                    **body,
                },
            )
        for stale in existing[len(bodies) :]:
            self.store.delete(rt, meta["namespace"], stale["metadata"]["name"])
