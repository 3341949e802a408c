"""The Services of k3s's packaged components and the container ports they route to, as k3s's own
manifests declare them (`catalogue/k3s_addons.yaml` holds them and names the manifests): `kube-dns` on
10.43.0.10, `metrics-server` behind the metrics.k8s.io APIService, and `traefik`, a LoadBalancer that
k3s's service load balancer (klipper-lb) answers on every node's address."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Literal

from pydantic import Field

from sugarlab.common.objects import Obj
from sugarlab.sim.world.catalogues import Schema, load

Protocol = Literal["TCP", "UDP", "SCTP"]


class ContainerPort(Schema):
    name: str
    containerPort: int
    protocol: Protocol


class ServicePort(Schema):
    name: str
    port: int
    protocol: Protocol
    targetPort: int | str
    nodePort: Literal["allocated"] | None = None


class AddonService(Schema):
    name: str
    with_metrics_server: bool = False
    type: Literal["ClusterIP", "LoadBalancer"] = "ClusterIP"
    labels: dict[str, str]
    selector: dict[str, str]
    ports: list[ServicePort]
    clusterIP: str  # an address, or `allocated`
    extra_spec: dict[str, str | bool] = Field(default_factory=dict)


class Addons(Schema):
    """`catalogue/k3s_addons.yaml`."""

    dns_ip: str
    container_ports: dict[str, list[ContainerPort]]
    services: list[AddonService]


_CATALOGUE = load("k3s_addons.yaml", Addons)

DNS_IP = _CATALOGUE.dns_ip  # k3s's --cluster-dns
CONTAINER_PORTS: dict[str, list[Obj]] = {
    name: [port.model_dump() for port in ports] for name, ports in _CATALOGUE.container_ports.items()
}


def with_ports(container: Obj) -> Obj:
    """A seeded container of a k3s component, with the ports its manifest declares."""
    ports = CONTAINER_PORTS.get(container["name"])
    return {**container, "ports": [dict(p) for p in ports]} if ports else container


def _service(service: AddonService, ports: list[Obj], cluster_ip: str, meta: Obj, node_ips: list[str]) -> Obj:
    balanced = service.type == "LoadBalancer"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": service.name, "namespace": "kube-system", "labels": dict(service.labels), **meta},
        "spec": {
            "selector": dict(service.selector),
            "ports": ports,
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "type": service.type,
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
            **service.extra_spec,
        },
        "status": {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"} for ip in node_ips]} if balanced else {}},
    }


def addon_services(metrics_server: bool, node_ips: list[str], rng: random.Random, meta: Callable[[], Obj]) -> list[Obj]:
    """`meta` gives each Service its uid and creation time; `rng` picks what the cluster allocated."""
    services = []
    for service in _CATALOGUE.services:
        if service.with_metrics_server and not metrics_server:
            continue
        ports = [
            port.model_dump(exclude_none=True) | ({"nodePort": rng.randint(30000, 32767)} if port.nodePort else {})
            for port in service.ports
        ]
        cluster_ip = service.clusterIP
        if cluster_ip == "allocated":
            cluster_ip = f"10.43.{rng.randint(1, 254)}.{rng.randint(1, 254)}"
        services.append(_service(service, ports, cluster_ip, meta(), node_ips))
    return services
