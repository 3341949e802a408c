"""The resolv.conf and hosts the kubelet writes for a pod, by its dnsPolicy, dnsConfig and hostname."""

from __future__ import annotations

from typing import Any

from sugarlab.sim.kubelet.dns_config import etc_hosts, resolv_conf

CLUSTER = "search apps.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n"


def _pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "apps"}, "spec": {"containers": [], **spec}}


def test_cluster_first_names_the_cluster_dns_unless_the_pod_is_on_the_host_network() -> None:
    assert resolv_conf(_pod(), "10.43.0.10") == CLUSTER
    assert resolv_conf(_pod(hostNetwork=True), "10.43.0.10") == ""  # the node's, which names no server
    assert resolv_conf(_pod(hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet"), "10.43.0.10") == CLUSTER
    assert resolv_conf(_pod(dnsPolicy="Default"), "10.43.0.10") == ""


def test_dns_config_is_merged_and_none_takes_only_it() -> None:
    config = {"nameservers": ["1.1.1.1"], "searches": ["lab"], "options": [{"name": "ndots", "value": "2"}]}
    assert resolv_conf(_pod(dnsConfig=config), "10.43.0.10") == (
        "search apps.svc.cluster.local svc.cluster.local cluster.local lab\n"
        "nameserver 10.43.0.10\nnameserver 1.1.1.1\noptions ndots:2\n"
    )
    assert resolv_conf(_pod(dnsPolicy="None", dnsConfig=config), "10.43.0.10") == (
        "search lab\nnameserver 1.1.1.1\noptions ndots:2\n"
    )


def test_hosts_names_the_pod_under_its_subdomain() -> None:
    hosts = etc_hosts(_pod(hostname="db-0", subdomain="db"), "10.42.1.4")
    assert hosts.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert hosts.endswith("10.42.1.4\tdb-0.db.apps.svc.cluster.local\tdb-0\n")
    aliased = etc_hosts(_pod(hostAliases=[{"ip": "10.0.0.9", "hostnames": ["nas", "nas.lan"]}]), "10.42.1.5")
    assert aliased.endswith("10.42.1.5\tp\n\n# Entries added by HostAliases.\n10.0.0.9\tnas\tnas.lan\n")
