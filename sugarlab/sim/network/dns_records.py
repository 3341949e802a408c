"""What CoreDNS's `kubernetes` plugin answers for a name of the cluster domain, read from the store, as the
DNS spec for Services and Pods has it (https://github.com/kubernetes/dns/blob/master/docs/specification.md,
and coredns plugin/kubernetes/kubernetes.go, `Records`):
- `<svc>.<ns>.svc.cluster.local`: the Service's ClusterIP; a headless Service's ready endpoints;
  an ExternalName Service's name (a CNAME);
- `<hostname>.<svc>.<ns>.svc.cluster.local`: an endpoint of a headless Service with that hostname
  (a StatefulSet's pod whose `subdomain` is the Service);
- `<a-b-c-d>.<ns>.pod.cluster.local`: a-b-c-d, whatever it is (k3s's Corefile says `pods insecure`).
Anything else under cluster.local does not exist.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sugarlab.common.objects import Obj
from sugarlab.sim.storage.store import Store

ZONE = "cluster.local"
SERVICE_NAME = "kubernetes.io/service-name"  # the label tying an EndpointSlice to its Service


@dataclass(frozen=True)
class Records:
    """The addresses a name has (or the name it is an alias of); `exists` False for NXDOMAIN."""

    addresses: tuple[str, ...] = ()
    alias: str = ""
    exists: bool = True


NXDOMAIN = Records(exists=False)


def in_zone(name: str) -> bool:
    return name == ZONE or name.endswith(f".{ZONE}")


def ready_endpoints(store: Store, service: Obj) -> list[Obj]:
    """The ready endpoints of the Service's EndpointSlices (a missing `ready` counts as ready, as consumers of
    EndpointSlices must read it)."""
    meta = service["metadata"]
    found = []
    for slice_ in store.view(store.kind("EndpointSlice"), meta["namespace"]):
        if (slice_["metadata"].get("labels") or {}).get(SERVICE_NAME) != meta["name"]:
            continue
        found += [e for e in slice_.get("endpoints") or [] if (e.get("conditions") or {}).get("ready", True)]
    return found


def lookup(store: Store, name: str) -> Records:
    """The records of `name` (lower case, without the final dot), a name of the cluster domain."""
    labels = name.removesuffix(ZONE).rstrip(".").split(".") if name != ZONE else []
    if len(labels) == 3 and labels[2] == "pod":
        try:
            return Records((str(ipaddress.IPv4Address(labels[0].replace("-", "."))),))
        except ValueError:
            return NXDOMAIN
    if len(labels) not in (3, 4) or labels[-1] != "svc":
        return NXDOMAIN
    service = store.find(store.kind("Service"), labels[-2], labels[-3])
    if service is None:
        return NXDOMAIN
    spec = service.get("spec") or {}
    endpoints = ready_endpoints(store, service) if spec.get("clusterIP") == "None" else []
    if len(labels) == 4:  # a hostname under a headless Service
        wanted = [e for e in endpoints if e.get("hostname") == labels[0]]
        return Records(tuple(a for e in wanted for a in e["addresses"])) if wanted else NXDOMAIN
    if spec.get("type") == "ExternalName":
        return Records(alias=str(spec.get("externalName", "")))
    if spec.get("clusterIP") == "None":
        return Records(tuple(sorted({a for e in endpoints for a in e["addresses"]}))) if endpoints else NXDOMAIN
    return Records((spec["clusterIP"],)) if spec.get("clusterIP") else NXDOMAIN
