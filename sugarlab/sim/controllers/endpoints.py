"""The endpoints and endpointslice controllers: what a Service with a selector routes to.

For every Service with a selector, from the pods it selects that have an IP and are not finished:
- an `Endpoints` of the Service's name, ready pods under `addresses` and the others under
  `notReadyAddresses`, pods being deleted left out (pkg/controller/endpoint/endpoints_controller.go);
- `EndpointSlices` (discovery.k8s.io/v1) owned by the Service, one per distinct set of resolved ports,
  each endpoint with its `ready`/`serving`/`terminating` conditions
  (pkg/controller/endpointslice and staging/src/k8s.io/endpointslice in kubernetes/kubernetes).
A named `targetPort` resolves to the container port of that name in each pod; a pod without it is
left out of that port, as `podutil.FindPort` fails for it.
"""

from __future__ import annotations

import copy
import random

from sugarlab.common.kubectl import pod_ready
from sugarlab.common.objects import Obj
from sugarlab.sim.apis.owned import owner_ref
from sugarlab.sim.machinery.names import suffix
from sugarlab.sim.machinery.since_boot import FirstPass
from sugarlab.sim.storage.store import Store

SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER = "endpointslice-controller.k8s.io"
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"


def _selected(pod: Obj, selector: dict[str, str]) -> bool:
    labels = pod["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _resolve(port: Obj, pod: Obj) -> int | None:
    target = port.get("targetPort", port["port"])
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("name") == target and declared.get("protocol", "TCP") == port.get("protocol", "TCP"):
                return int(declared["containerPort"])
    return None


def _hostname(service: Obj, pod: Obj) -> dict[str, str]:
    """A pod's hostname is published when it names the Service as its subdomain (a StatefulSet's pods do)."""
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"]:
        return {"hostname": spec["hostname"]}
    return {}


def _target(pod: Obj) -> Obj:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]}


def _pod_ports(service: Obj, pod: Obj) -> tuple[tuple[str, int, str], ...]:
    ports = []
    for port in service["spec"].get("ports") or []:
        number = _resolve(port, pod)
        if number is not None:
            ports.append((port.get("name", ""), number, port.get("protocol", "TCP")))
    return tuple(ports)


def _endpoints(service: Obj, pods: list[Obj]) -> Obj:
    publish = bool(service["spec"].get("publishNotReadyAddresses"))
    groups: dict[tuple[tuple[str, int, str], ...], dict[str, list[Obj]]] = {}
    for pod in pods:
        if "deletionTimestamp" in pod["metadata"]:
            continue
        ports = _pod_ports(service, pod)
        if not ports and service["spec"].get("ports"):
            continue
        address = {
            "ip": pod["status"]["podIP"],
            **_hostname(service, pod),
            "nodeName": pod["spec"].get("nodeName", ""),
            "targetRef": _target(pod),
        }
        key = "addresses" if publish or pod_ready(pod) else "notReadyAddresses"
        groups.setdefault(ports, {"addresses": [], "notReadyAddresses": []})[key].append(address)
    subsets = []
    for ports, addresses in sorted(groups.items()):
        subset: Obj = {k: sorted(v, key=lambda a: a["ip"]) for k, v in addresses.items() if v}
        if ports:
            subset["ports"] = [
                {"name": n, "port": p, "protocol": proto} if n else {"port": p, "protocol": proto}
                for n, p, proto in ports
            ]
        subsets.append(subset)
    meta = service["metadata"]
    return {
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "labels": {**(meta.get("labels") or {}), SKIP_MIRROR: "true"},
        },
        **({"subsets": subsets} if subsets else {}),
    }


def _slices(service: Obj, pods: list[Obj]) -> dict[tuple[tuple[str, int, str], ...], list[Obj]]:
    """Endpoints of the slices, grouped by their resolved ports."""
    groups: dict[tuple[tuple[str, int, str], ...], list[Obj]] = {}
    for pod in pods:
        ports = _pod_ports(service, pod)
        if not ports and service["spec"].get("ports"):
            continue
        terminating = "deletionTimestamp" in pod["metadata"]
        ready = pod_ready(pod)
        groups.setdefault(ports, []).append(
            {
                "addresses": [pod["status"]["podIP"]],
                "conditions": {"ready": ready and not terminating, "serving": ready, "terminating": terminating},
                **_hostname(service, pod),
                "nodeName": pod["spec"].get("nodeName", ""),
                "targetRef": _target(pod),
            }
        )
    return groups


class EndpointsController:
    def __init__(self, store: Store) -> None:
        self.store, self.boot = store, FirstPass()
        self.rng = random.Random()

    def reconcile(self) -> None:
        services = self.store.view(self.store.kind("Service"))
        pods = self.store.view(self.store.kind("Pod"))
        kept = set()
        for service in services:
            selector = (service.get("spec") or {}).get("selector")
            if not selector or "deletionTimestamp" in service["metadata"]:
                continue
            namespace = service["metadata"]["namespace"]
            kept.add((namespace, service["metadata"]["name"]))
            mine = sorted(
                (
                    p
                    for p in pods
                    if p["metadata"]["namespace"] == namespace
                    and _selected(p, selector)
                    and (p.get("status") or {}).get("podIP")
                    and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                ),
                key=lambda p: p["metadata"]["name"],
            )
            self._sync_endpoints(_endpoints(service, mine), service)
            self._sync_slices(service, _slices(service, mine))
        self._forget(kept, {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in services})
        self.boot.done()

    def _sync_endpoints(self, wanted: Obj, service: Obj) -> None:
        rt, meta = self.store.kind("Endpoints"), wanted["metadata"]
        current = self.store.find(rt, meta["namespace"], meta["name"])
        if current is None:
            self.store.create(rt, {**wanted, "metadata": self.boot.dated(meta, service)})
        elif current.get("subsets") != wanted.get("subsets") or current["metadata"].get("labels") != meta["labels"]:
            current["metadata"]["labels"] = meta["labels"]
            current.pop("subsets", None)
            self.store.replace(rt, current | ({"subsets": wanted["subsets"]} if "subsets" in wanted else {}))

    def _sync_slices(self, service: Obj, groups: dict[tuple[tuple[str, int, str], ...], list[Obj]]) -> None:
        rt, meta = self.store.kind("EndpointSlice"), service["metadata"]
        existing = sorted(
            (
                s
                for s in self.store.view(rt, meta["namespace"])
                if (s["metadata"].get("labels") or {}).get(SERVICE_NAME) == meta["name"]
                and (s["metadata"].get("labels") or {}).get(MANAGED_BY) == CONTROLLER
            ),
            key=lambda s: s["metadata"]["name"],
        )
        labels = {**(meta.get("labels") or {}), SERVICE_NAME: meta["name"], MANAGED_BY: CONTROLLER}
        wanted = [
            {
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": [{"name": n, "port": p, "protocol": proto} for n, p, proto in ports],
            }
            for ports, endpoints in sorted(groups.items())
        ] or [{"addressType": "IPv4", "endpoints": [], "ports": []}]
        # Uneven on purpose: the slices beyond the shorter list are created or deleted below.
        for body, live in zip(wanted, existing, strict=False):
            current = copy.deepcopy(live)
            if any(current.get(k) != v for k, v in body.items()) or current["metadata"].get("labels") != labels:
                current["metadata"]["labels"] = labels
                self.store.replace(rt, current | body)
        for body in wanted[len(existing) :]:
            self.store.create(
                rt,
                {
                    "metadata": self.boot.dated(
                        {
                            "name": f"{meta['name']}-{suffix(self.rng)}",
                            "namespace": meta["namespace"],
                            "generateName": f"{meta['name']}-",
                            "labels": labels,
                            "ownerReferences": [owner_ref({"apiVersion": "v1", "kind": "Service", "metadata": meta})],
                        },
                        service,
                    ),
                    **body,
                },
            )
        for stale in existing[len(wanted) :]:
            self.store.delete(rt, meta["namespace"], stale["metadata"]["name"])

    def _forget(self, kept: set[tuple[str, str]], services: set[tuple[str, str]]) -> None:
        """Endpoints of Services gone go too; so do the slices of Services gone or without a selector."""
        endpoints, slices = self.store.kind("Endpoints"), self.store.kind("EndpointSlice")
        for obj in self.store.view(endpoints):
            meta = obj["metadata"]
            if (meta.get("labels") or {}).get(SKIP_MIRROR) == "true" and (
                meta["namespace"],
                meta["name"],
            ) not in services:
                self.store.delete(endpoints, meta["namespace"], meta["name"])
        for obj in self.store.view(slices):
            meta = obj["metadata"]
            labels = meta.get("labels") or {}
            if labels.get(MANAGED_BY) == CONTROLLER and (meta["namespace"], labels.get(SERVICE_NAME)) not in kept:
                self.store.delete(slices, meta["namespace"], meta["name"])
