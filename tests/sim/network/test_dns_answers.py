"""What the cluster DNS answers, message by message (dnslib on both sides), from a store's Services and
EndpointSlices."""

from __future__ import annotations

from typing import Any, cast

from dnslib import QTYPE, RCODE, DNSRecord

from sugarlab.sim.network.dns import answer, no_upstream
from sugarlab.sim.storage.store import Store

SERVICES = {
    ("default", "web"): {"metadata": {"name": "web", "namespace": "default"}, "spec": {"clusterIP": "10.43.7.7"}},
    ("default", "db"): {"metadata": {"name": "db", "namespace": "default"}, "spec": {"clusterIP": "None"}},
}
SLICES = [
    {
        "metadata": {"labels": {"kubernetes.io/service-name": "db"}},
        "endpoints": [
            {"addresses": ["10.42.1.4"], "hostname": "db-0", "conditions": {"ready": True}},
            {"addresses": ["10.42.2.5"], "hostname": "db-1", "conditions": {"ready": False}},
        ],
    }
]


class _Store:
    """The little of the store the DNS reads."""

    def kind(self, kind: str) -> str:
        return kind

    def find(self, rt: str, namespace: str, name: str) -> Any:
        return SERVICES.get((namespace, name)) if rt == "Service" else None

    def view(self, rt: str, namespace: str | None = None) -> list[Any]:
        return SLICES if rt == "EndpointSlice" and namespace == "default" else []


def _ask(name: str, qtype: str = "A", upstream: Any = no_upstream) -> DNSRecord:
    reply = answer(cast(Store, _Store()), DNSRecord.question(name, qtype).pack(), upstream)
    assert reply is not None
    return DNSRecord.parse(reply)


def _addresses(reply: DNSRecord) -> list[str]:
    return [str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A]


def test_a_service_name_is_its_cluster_ip() -> None:
    assert _addresses(_ask("web.default.svc.cluster.local")) == ["10.43.7.7"]
    assert _addresses(_ask("WEB.default.svc.cluster.local.")) == ["10.43.7.7"]


def test_a_headless_service_is_its_ready_endpoints_and_each_has_its_hostname() -> None:
    assert _addresses(_ask("db.default.svc.cluster.local")) == ["10.42.1.4"]
    assert _addresses(_ask("db-0.db.default.svc.cluster.local")) == ["10.42.1.4"]
    assert _ask("db-1.db.default.svc.cluster.local").header.rcode == RCODE.NXDOMAIN  # not ready


def test_a_pod_name_is_its_dashed_address() -> None:
    assert _addresses(_ask("10-42-1-4.default.pod.cluster.local")) == ["10.42.1.4"]


def test_an_unknown_cluster_name_does_not_exist_and_says_for_how_long() -> None:
    reply = _ask("nothing.default.svc.cluster.local")
    assert reply.header.rcode == RCODE.NXDOMAIN
    assert [rr.rtype for rr in reply.auth] == [QTYPE.SOA]


def test_a_service_has_no_ipv6_address_but_exists() -> None:
    reply = _ask("web.default.svc.cluster.local", "AAAA")
    assert (reply.header.rcode, reply.rr) == (RCODE.NOERROR, [])


def test_outside_names_fail_without_an_upstream_and_resolve_with_one() -> None:
    assert _ask("example.com").header.rcode == RCODE.SERVFAIL
    table = {"example.com": "203.0.113.10"}
    assert _addresses(_ask("example.com", upstream=table.get)) == ["203.0.113.10"]
