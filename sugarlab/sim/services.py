"""Services: a ClusterIP from k3s's default service range, and the API server's port defaults."""

from __future__ import annotations

import ipaddress
from typing import Any

from sugarlab.sim.errors import ApiError
from sugarlab.sim.store import Store

SERVICE_CIDR = ipaddress.ip_network("10.43.0.0/16")  # k3s's default --service-cidr
RESERVED = {"10.43.0.1", "10.43.0.10"}  # the `kubernetes` service and kube-dns


def default_service(service: dict[str, Any], store: Store) -> None:
    spec = service.setdefault("spec", {})
    if not spec.get("ports"):
        raise ApiError.invalid("Service", service["metadata"].get("name", ""), [("spec.ports", "Required value")])
    for port in spec["ports"]:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port["port"])
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    taken = RESERVED | {s["spec"].get("clusterIP") for s in store.view(store.kind("Service"))}
    address = next(str(a) for a in list(SERVICE_CIDR.hosts())[1:] if str(a) not in taken)
    spec.setdefault("clusterIP", address)
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    service["status"] = {"loadBalancer": {}}
