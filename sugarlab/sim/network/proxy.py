"""kube-proxy: a Service's ClusterIP and NodePorts lead to its ready endpoints, one picked per connection.

There are no iptables or nft programs here, so this does what kube-proxy's IPVS mode and its old userspace
mode did together: every ClusterIP is an address of the `kube-ipvs0` device in the cluster namespace (IPVS
mode, pkg/proxy/ipvs/proxier.go), and a proxy listens on each ClusterIP:port and NodeIP:nodePort and splices
each connection to a ready endpoint picked at random (userspace mode's proxysocket.go, `ProxyTCP`). A port
with no ready endpoint has no listener, so a connection to it is refused, as kube-proxy's REJECT rule for a
Service without endpoints refuses it. Only TCP is proxied: the one UDP Service k3s has, kube-dns, is
answered at its address by the DNS server itself (`dns`).

The table is rebuilt when the store has changed (its resource version), so Services and endpoints that
change are followed within a tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
from dataclasses import dataclass

from sugarlab.common.objects import Obj
from sugarlab.sim.network.cni import PodNetwork
from sugarlab.sim.storage.store import Store

log = logging.getLogger("sugarlab.sim")
CONNECT_TIMEOUT_S = 5.0
CHUNK = 64 * 1024
Backend = tuple[str, int]


@dataclass
class _Listener:
    sock: socket.socket
    task: asyncio.Task[None]


def _backends(store: Store, service: Obj, port: Obj) -> list[Backend]:
    """The ready endpoints' addresses at the slice port of the Service port's name."""
    found = []
    meta = service["metadata"]
    for slice_ in store.view(store.kind("EndpointSlice"), meta["namespace"]):
        if (slice_["metadata"].get("labels") or {}).get("kubernetes.io/service-name") != meta["name"]:
            continue
        number = next(
            (p.get("port") for p in slice_.get("ports") or [] if p.get("name", "") == port.get("name", "")), None
        )
        if number is None:
            continue
        ready = [e for e in slice_.get("endpoints") or [] if (e.get("conditions") or {}).get("ready", True)]
        found += [(address, int(number)) for e in ready for address in e["addresses"]]
    return found


def _node_ips(store: Store) -> list[str]:
    return [
        a["address"]
        for node in store.view(store.kind("Node"))
        for a in (node.get("status") or {}).get("addresses") or []
        if a["type"] == "InternalIP"
    ]


class KubeProxy:
    def __init__(self, store: Store, network: PodNetwork, answered: set[str]) -> None:
        """`answered`: ClusterIPs a server of the simulator answers itself (the DNS server's)."""
        self.store, self.network, self.answered = store, network, answered
        self._seen = -1
        self._table: dict[Backend, list[Backend]] = {}  # (address, port) -> ready endpoints
        self._listeners: dict[Backend, _Listener] = {}
        self._connections: set[asyncio.Task[None]] = set()

    def _wanted(self) -> tuple[set[str], dict[Backend, list[Backend]]]:
        """The ClusterIPs, and each proxied address and port with its ready endpoints."""
        addresses: set[str] = set()
        table: dict[Backend, list[Backend]] = {}
        node_ips = _node_ips(self.store)
        for service in self.store.view(self.store.kind("Service")):
            spec = service.get("spec") or {}
            cluster_ip = spec.get("clusterIP")
            if not cluster_ip or cluster_ip == "None" or cluster_ip in self.answered:
                continue
            addresses.add(cluster_ip)
            for port in spec.get("ports") or []:
                if port.get("protocol", "TCP") != "TCP":
                    continue
                backends = _backends(self.store, service, port)
                table[(cluster_ip, int(port["port"]))] = backends
                if port.get("nodePort") and spec.get("type") in ("NodePort", "LoadBalancer"):
                    table |= {(ip, int(port["nodePort"])): backends for ip in node_ips}
        return addresses, table

    def reconcile(self) -> None:
        if not self.network.available or self.store.resource_version == self._seen:
            return
        self._seen = self.store.resource_version
        addresses, self._table = self._wanted()
        for address in addresses:
            self.network.add_address(address)
        for key in [k for k in self._listeners if not self._table.get(k)]:
            listener = self._listeners.pop(key)
            listener.task.cancel()
            listener.sock.close()
        for key in [k for k, backends in self._table.items() if backends and k not in self._listeners]:
            try:
                sock = self.network.listen(*key)
            except OSError as cannot:
                log.warning("kube-proxy cannot listen on %s:%d: %s", *key, cannot)
                continue
            self._listeners[key] = _Listener(sock, asyncio.get_running_loop().create_task(self._accept(key, sock)))

    async def _accept(self, key: Backend, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            client, _ = await loop.sock_accept(sock)
            task = loop.create_task(self._splice(key, client))
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)

    async def _splice(self, key: Backend, client: socket.socket) -> None:
        backends = self._table.get(key)
        loop = asyncio.get_running_loop()
        upstream = await asyncio.wrap_future(self.network.socket_soon())
        upstream.setblocking(False)
        try:
            if not backends:
                raise ConnectionRefusedError
            await asyncio.wait_for(loop.sock_connect(upstream, random.choice(backends)), CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError):
            upstream.close()
            _reset(client)
            return
        client_reader, client_writer = await asyncio.open_connection(sock=client)
        upstream_reader, upstream_writer = await asyncio.open_connection(sock=upstream)
        await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))
        client_writer.close()
        upstream_writer.close()

    def close(self) -> None:
        for listener in self._listeners.values():
            listener.task.cancel()
            listener.sock.close()
        self._listeners.clear()


def _reset(sock: socket.socket) -> None:
    """Close with a RST (SO_LINGER 0), as a connection to an endpoint that refused ends for the client."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until the reader's end, then half-close the writer."""
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await reader.read(CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
