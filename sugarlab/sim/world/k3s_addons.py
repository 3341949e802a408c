"""The Services of k3s's packaged components and the container ports they route to, as k3s's own
manifests declare them (manifests/coredns.yaml and manifests/metrics-server/ in k3s-io/k3s, and the
traefik chart k3s installs): `kube-dns` on 10.43.0.10, `metrics-server` behind the metrics.k8s.io
APIService, and `traefik`, a LoadBalancer that k3s's service load balancer (klipper-lb) answers on
every node's address."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from sugarlab.common.objects import Obj

DNS_IP = "10.43.0.10"  # k3s's --cluster-dns
CONTAINER_PORTS: dict[str, list[Obj]] = {
    "coredns": [
        {"name": "dns", "containerPort": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9153, "protocol": "TCP"},
    ],
    "metrics-server": [{"name": "https", "containerPort": 10250, "protocol": "TCP"}],
    "traefik": [
        {"name": "metrics", "containerPort": 9100, "protocol": "TCP"},
        {"name": "traefik", "containerPort": 9000, "protocol": "TCP"},
        {"name": "web", "containerPort": 8000, "protocol": "TCP"},
        {"name": "websecure", "containerPort": 8443, "protocol": "TCP"},
    ],
}


def with_ports(container: Obj) -> Obj:
    """A seeded container of a k3s component, with the ports its manifest declares."""
    ports = CONTAINER_PORTS.get(container["name"])
    return {**container, "ports": [dict(p) for p in ports]} if ports else container


def _service(
    name: str,
    labels: dict[str, str],
    selector: dict[str, str],
    ports: list[Obj],
    cluster_ip: str,
    meta: Callable[[], Obj],
    **spec: Any,
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "kube-system", "labels": labels, **meta()},
        "spec": {
            "selector": selector,
            "ports": ports,
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "type": "ClusterIP",
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
            **spec,
        },
        "status": {"loadBalancer": {}},
    }


def addon_services(metrics_server: bool, node_ips: list[str], rng: random.Random, meta: Callable[[], Obj]) -> list[Obj]:
    """`meta` gives each Service its uid and creation time."""

    def cluster_ip() -> str:
        return f"10.43.{rng.randint(1, 254)}.{rng.randint(1, 254)}"

    services = [
        _service(
            "kube-dns",
            {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
            {"k8s-app": "kube-dns"},
            [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
            ],
            DNS_IP,
            meta,
        )
    ]
    if metrics_server:
        services.append(
            _service(
                "metrics-server",
                {"kubernetes.io/cluster-service": "true", "kubernetes.io/name": "Metrics-server"},
                {"k8s-app": "metrics-server"},
                [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}],
                cluster_ip(),
                meta,
            )
        )
    traefik = _service(
        "traefik",
        {
            "app.kubernetes.io/instance": "traefik-kube-system",
            "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/name": "traefik",
        },
        {"app.kubernetes.io/instance": "traefik-kube-system", "app.kubernetes.io/name": "traefik"},
        [
            {"name": "web", "port": 80, "protocol": "TCP", "targetPort": "web", "nodePort": rng.randint(30000, 32767)},
            {
                "name": "websecure",
                "port": 443,
                "protocol": "TCP",
                "targetPort": "websecure",
                "nodePort": rng.randint(30000, 32767),
            },
        ],
        cluster_ip(),
        meta,
        externalTrafficPolicy="Cluster",
        allocateLoadBalancerNodePorts=True,
    )
    traefik["spec"]["type"] = "LoadBalancer"
    traefik["status"] = {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"} for ip in node_ips]}}
    return [*services, traefik]
