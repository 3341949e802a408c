"""Services: a ClusterIP from k3s's default service range, its IP families, and the API server's defaults."""

from __future__ import annotations

import ipaddress
from typing import Any

from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.storage.store import Store

SERVICE_CIDR = ipaddress.ip_network("10.43.0.0/16")  # k3s's default --service-cidr
RESERVED = {"10.43.0.1", "10.43.0.10"}  # the `kubernetes` service and kube-dns


def default_service(service: dict[str, Any], store: Store) -> None:
    spec = service.setdefault("spec", {})
    headless = spec.get("clusterIP") == "None"
    if not spec.get("ports") and not headless and spec.get("type") != "ExternalName":  # ValidateService
        raise ApiError.invalid("Service", service["metadata"].get("name", ""), [("spec.ports", "Required value")])
    causes = []
    for i, port in enumerate(spec.get("ports") or []):
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
    if spec["type"] != "ExternalName":
        # SetDefaults_Service (pkg/apis/core/v1/defaults.go)
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if spec["type"] == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        taken = RESERVED | {s["spec"].get("clusterIP") for s in store.view(store.kind("Service"))}
        address = next(str(a) for a in list(SERVICE_CIDR.hosts())[1:] if str(a) not in taken)
        spec.setdefault("clusterIP", address)
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        init_ip_families(spec)
    service["status"] = {"loadBalancer": {}}


def init_ip_families(spec: dict[str, Any], old: dict[str, Any] | None = None) -> None:
    """`initIPFamilyFields` (pkg/registry/core/service/storage/alloc.go) on k3s's single-stack IPv4 cluster:
    an unset policy is the old one on update, RequireDualStack for a headless Service without a selector
    (whose families then name both, which validation allows it alone), and SingleStack otherwise; unset
    families are the cluster's one. ExternalName Services get neither."""
    if spec.get("type") == "ExternalName":
        return
    headless_selectorless = spec.get("clusterIP") == "None" and not spec.get("selector")
    if not spec.get("ipFamilyPolicy"):
        before = (old or {}).get("ipFamilyPolicy")
        spec["ipFamilyPolicy"] = before or ("RequireDualStack" if headless_selectorless else "SingleStack")
    families = spec.get("ipFamilies") or (old or {}).get("ipFamilies") or ["IPv4"]
    if headless_selectorless and len(families) < 2 and spec["ipFamilyPolicy"] != "SingleStack":
        families = [*families, "IPv6" if families[0] == "IPv4" else "IPv4"]
    spec["ipFamilies"] = families


def keep_allocated(service: dict[str, Any], old: dict[str, Any]) -> None:
    """What an update that leaves them out keeps of the old Service: its cluster IPs (`patchAllocatedValues`
    in pkg/registry/core/service/storage/storage.go) and its IP families and policy (`initIPFamilyFields`)."""
    spec, before = service.setdefault("spec", {}), old.get("spec") or {}
    if spec.get("type", "ClusterIP") == "ExternalName" or before.get("type") == "ExternalName":
        return
    for field in ("clusterIP", "clusterIPs"):
        if not spec.get(field) and before.get(field):
            spec[field] = before[field]
    init_ip_families(spec, before)
