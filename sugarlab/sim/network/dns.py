"""The cluster's DNS server, as k3s's CoreDNS serves it behind the `kube-dns` Service (10.43.0.10, UDP and TCP
port 53): names of the cluster domain from the store (`dns_records`), every other name from the upstream.

k3s's Corefile forwards what its `kubernetes` plugin does not own to the node's resolvers
(`forward . /etc/resolv.conf`). Here the upstream is a function from a name to its IPv4 address (the
simulated outside world's table); without an answer the name fails as on a Pi that is offline: SERVFAIL,
as the forward plugin answers when no upstream responds (coredns plugin/forward/forward.go, `ServeDNS`,
`ErrNoHealthy`). The CoreDNS pod itself is modelled; this server stands at its Service's address, so the
Service's traffic is not proxied (`proxy`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Callable
from typing import cast

from dnslib import CNAME, QTYPE, RCODE, RR, SOA, A, DNSError, DNSRecord

from sugarlab.sim.network.cni import PodNetwork
from sugarlab.sim.network.dns_records import ZONE, in_zone, lookup
from sugarlab.sim.storage.store import Store

log = logging.getLogger("sugarlab.sim")
Upstream = Callable[[str], str | None]
PORT = 53
TTL = 5  # the kubernetes plugin's default ttl
UPSTREAM_TTL = 30  # k3s's Corefile: `cache 30`
# The kubernetes plugin's SOA for its zone (coredns plugin/kubernetes/kubernetes.go, `Serial`, and
# plugin/pkg/dnsutil's defaults for refresh, retry, expire and minimum).
SOA_RECORD = SOA("ns.dns.cluster.local", "hostmaster.cluster.local", (1, 7200, 1800, 86400, TTL))


def no_upstream(name: str) -> str | None:
    """The default upstream: no name outside the cluster is known."""
    return None


def answer(store: Store, query: bytes, upstream: Upstream) -> bytes | None:
    """The reply to one DNS message; None for one that does not parse (dropped)."""
    try:
        request = DNSRecord.parse(query)
    except DNSError:
        return None
    reply = request.reply()
    if not request.questions:
        reply.header.rcode = RCODE.FORMERR
        return bytes(reply.pack())
    question = request.q
    name, qtype = str(question.qname).rstrip(".").lower(), question.qtype
    wants_a = qtype in (QTYPE.A, QTYPE.ANY)
    if in_zone(name):
        records = lookup(store, name)
        if not records.exists:
            reply.header.rcode = RCODE.NXDOMAIN
        elif records.alias:
            reply.add_answer(RR(question.qname, QTYPE.CNAME, rdata=CNAME(records.alias), ttl=TTL))
        elif wants_a:
            for address in records.addresses:
                reply.add_answer(RR(question.qname, QTYPE.A, rdata=A(address), ttl=TTL))
        if not reply.rr:  # NXDOMAIN or no record of that type: the zone's SOA says for how long
            reply.add_auth(RR(ZONE, QTYPE.SOA, rdata=SOA_RECORD, ttl=TTL))
        return bytes(reply.pack())
    reply.header.aa = 0
    outside = upstream(name)
    if outside is None:
        reply.header.rcode = RCODE.SERVFAIL
    elif wants_a:
        reply.add_answer(RR(question.qname, QTYPE.A, rdata=A(outside), ttl=UPSTREAM_TTL))
    return bytes(reply.pack())


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, reply: Callable[[bytes], bytes | None]) -> None:
        self.reply = reply
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        out = self.reply(data)
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)


class ClusterDns:
    """The server at `address`:53, over UDP and TCP (messages with a 2-byte length, RFC 1035 4.2.2)."""

    def __init__(self, store: Store, network: PodNetwork, address: str, upstream: Upstream = no_upstream) -> None:
        self.store, self.network, self.address, self.upstream = store, network, address, upstream
        self._closing: list[Callable[[], None]] = []

    def reply(self, query: bytes) -> bytes | None:
        try:
            return answer(self.store, query, self.upstream)
        except Exception:  # a bug answering one query must not stop the server
            log.exception("DNS query failed")
            return None

    async def start(self) -> None:
        if not self.network.available:
            return
        loop = asyncio.get_running_loop()
        udp, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self.reply), sock=self.network.listen_udp(self.address, PORT)
        )
        tcp = await asyncio.start_server(self._tcp, sock=self.network.listen(self.address, PORT))
        self._closing += [udp.close, tcp.close]

    async def _tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                out = self.reply(await reader.readexactly(length))
                if out is None:
                    break
                writer.write(struct.pack("!H", len(out)) + out)
                await writer.drain()
        writer.close()

    def close(self) -> None:
        for close in self._closing:
            close()
