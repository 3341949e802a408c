"""Services: a ClusterIP from k3s's default service range, and the API server's port defaults."""

from __future__ import annotations

import ipaddress
from typing import Any

from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.storage.store import Store

SERVICE_CIDR = ipaddress.ip_network("10.43.0.0/16")  # k3s's default --service-cidr
RESERVED = {"10.43.0.1", "10.43.0.10"}  # the `kubernetes` service and kube-dns


def default_service(service: dict[str, Any], store: Store) -> None:
    spec = service.setdefault("spec", {})
    if not spec.get("ports"):
        raise ApiError.invalid("Service", service["metadata"].get("name", ""), [("spec.ports", "Required value")])
    causes = []
    for i, port in enumerate(spec["ports"]):
        port.setdefault("protocol", "TCP")
        number = port.get("port", 0)
        if port.get("targetPort") in (None, 0, ""):  # SetDefaults_Service: an unset targetPort is the port
            port["targetPort"] = number
        # validateServicePort (pkg/apis/core/validation): IsValidPortNum for the port and an int targetPort.
        for field in ("port", "targetPort"):
            value = port.get(field, 0)
            if isinstance(value, int) and not 1 <= value <= 65535:
                message = f"Invalid value: {value}: must be between 1 and 65535, inclusive"
                causes.append((f"spec.ports[{i}].{field}", message))
    if causes:
        raise ApiError.invalid("Service", service["metadata"].get("name", ""), causes)
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    taken = RESERVED | {s["spec"].get("clusterIP") for s in store.view(store.kind("Service"))}
    address = next(str(a) for a in list(SERVICE_CIDR.hosts())[1:] if str(a) not in taken)
    spec.setdefault("clusterIP", address)
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    service["status"] = {"loadBalancer": {}}
