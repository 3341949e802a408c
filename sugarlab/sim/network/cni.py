"""The pod network, as k3s's flannel sets it up: every pod a network namespace of its own with `eth0` on its
node's bridge, and every node's pods routed to every other's.

On a k3s node flannel's CNI plugin hands each pod to the `bridge` plugin (containernetworking/plugins,
plugins/main/bridge/bridge.go, `cmdAdd`): a veth pair whose host end (`veth` + 8 hex digits) joins the
`cni0` bridge, which holds the node's gateway 10.42.N.1/24; the pod's end is `eth0` with an address of the
node's pod CIDR (host-local IPAM) and a default route via that gateway. flannel's VXLAN backend then carries
traffic between nodes. Here one namespace, the cluster namespace, stands for every node: it holds one
bridge per node (`cniN` for the pod CIDR 10.42.N.0/24) and forwards between them, so pods of different nodes
reach each other by plain routing, without encapsulation. It also holds the node addresses (on their
bridges) and `kube-ipvs0`, where kube-proxy's IPVS mode keeps the Service addresses; nothing in it is
reachable from this machine's own network.

containerd sets two sysctls in each sandbox's namespace, `net.ipv4.ip_unprivileged_port_start=0` and
`net.ipv4.ping_group_range=0 2147483647` (`enable_unprivileged_ports` and `enable_unprivileged_icmp`, true by
default since containerd 2.0: internal/cri/config/config_unix.go, `DefaultRuntimeConfig`), so a container in
a user namespace binds port 80 and pings. They are set here too.

All netlink work happens on one thread (`_thread`) that stays in the cluster namespace between tasks.
"""

from __future__ import annotations

import errno
import hashlib
import ipaddress
import logging
import socket
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from sugarlab.common.objects import Obj
from sugarlab.sim.network import netns
from sugarlab.sim.network.tcp import tcp_socket

log = logging.getLogger("sugarlab.sim")
IPVS_DEVICE = "kube-ipvs0"
LOOPBACK_INDEX = 1  # `lo` is the first device of every network namespace
POD_SYSCTLS = {"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647"}
T = TypeVar("T")


def bridge_name(pod_cidr: str) -> str:
    """The node's bridge: `cni0` on a node itself; here `cniN` for the pod CIDR 10.42.N.0/24."""
    return f"cni{ipaddress.ip_network(pod_cidr).network_address.packed[2]}"


def veth_name(uid: str) -> str:
    """The host end of a pod's veth pair: `veth` and 8 hex digits, as the bridge plugin names it."""
    return "veth" + hashlib.sha256(uid.encode()).hexdigest()[:8]


def gateway(pod_cidr: str) -> str:
    return str(next(ipaddress.ip_network(pod_cidr).hosts()))


class PodNetwork:
    """The cluster namespace and the pods' namespaces of one simulator. `available` is False (and every call a
    no-op) when this machine does not let the simulator make namespaces."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.cluster = netns.cluster_path(state_dir)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pod-network")
        self._pods: dict[str, str] = {}  # pod uid -> the host end of its veth pair
        self._bridges: dict[str, int] = {}  # bridge name -> its interface index
        self._addresses: set[str] = set()  # on kube-ipvs0
        self._node_addresses: set[str] = set()  # on the nodes' bridges
        self._ipr: Any = None  # the cluster namespace's netlink socket, used on the thread only
        self.available = False
        removed = netns.remove_leftovers(state_dir)
        if removed:
            log.info("removed %d network namespaces left by an earlier run", removed)
        try:
            self._run(self._setup)
        except OSError as cannot:
            log.warning("no pod network (%s): each container has its own loopback and nothing else", cannot)
            return
        self.available = True

    def _run(self, task: Callable[[], T]) -> T:
        return self._thread.submit(task).result()

    def _setup(self) -> None:
        netns.create(self.cluster)
        netns.write_sysctl("net.ipv4.ip_forward", "1")
        self._ipr = IPRoute()
        self._ipr.link("set", index=self._ipr.link_lookup(ifname="lo")[0], state="up")
        # kube-proxy's IPVS mode makes a dummy device; a bridge without ports holds local addresses as well
        # where the kernel has no dummy driver (as on this machine's VM kernel).
        self._ipr.link("add", ifname=IPVS_DEVICE, kind="bridge")
        self._ipr.link("set", index=self._index(IPVS_DEVICE), state="up")

    def _index(self, name: str) -> int:
        found: list[int] = self._ipr.link_lookup(ifname=name)
        if not found:
            raise LookupError(name)
        return found[0]

    def add_node(self, node: Obj) -> None:
        """The node's bridge with its gateway and the node's own address, made the first time."""
        if self.available and bridge_name(node["spec"]["podCIDR"]) not in self._bridges:
            self._run(lambda: self._bridge(node))

    def _bridge(self, node: Obj) -> str:
        cidr = node["spec"]["podCIDR"]
        name = bridge_name(cidr)
        if name not in self._bridges:
            self._ipr.link("add", ifname=name, kind="bridge")
            index = self._index(name)
            self._ipr.addr("add", index=index, address=gateway(cidr), prefixlen=24)
            for address in node["status"].get("addresses") or []:
                if address["type"] == "InternalIP":
                    self._ipr.addr("add", index=index, address=address["address"], prefixlen=32)
                    self._node_addresses.add(address["address"])
            self._ipr.link("set", index=index, state="up")
            self._bridges[name] = index
        return name

    def attach(self, uid: str, node: Obj, ip: str) -> None:
        """Give the pod its namespace, `eth0` at `ip` on its node's bridge and a default route (once)."""
        if self.available and uid not in self._pods:
            self._run(lambda: self._attach(uid, node, ip))

    def _attach(self, uid: str, node: Obj, ip: str) -> None:
        bridge, path = self._bridges[self._bridge(node)], netns.pod_path(self.state_dir, uid)
        veth = veth_name(uid)
        netns.remove(path)  # a namespace of the pod's from before a restart
        try:
            netns.create(path)
            for name, value in POD_SYSCTLS.items():
                netns.write_sysctl(name, value)
            with IPRoute() as pod:
                netns.enter(self.cluster)
                with path.open("rb") as target:
                    peer = {"ifname": "eth0", "net_ns_fd": target.fileno()}
                    try:
                        self._ipr.link("add", ifname=veth, kind="veth", peer=peer, master=bridge, state="up")
                    except NetlinkError as exists:  # left by a pod whose processes outlived its namespace's mount
                        if exists.code != errno.EEXIST:
                            raise
                        self._ipr.link("del", ifname=veth)
                        self._ipr.link("add", ifname=veth, kind="veth", peer=peer, master=bridge, state="up")
                pod.link("set", index=LOOPBACK_INDEX, state="up")
                eth0 = pod.link_lookup(ifname="eth0")[0]
                pod.addr("add", index=eth0, address=ip, prefixlen=24)
                pod.link("set", index=eth0, state="up")
                pod.route("add", dst="0.0.0.0/0", gateway=gateway(node["spec"]["podCIDR"]))
        finally:
            netns.enter(self.cluster)
        self._pods[uid] = veth

    def attached(self) -> set[str]:
        return set(self._pods)

    def detach(self, uid: str) -> None:
        """The pod is gone: so is its namespace (and with it the veth pair)."""
        if self._pods.pop(uid, None) is not None:
            self._run(lambda: netns.remove(netns.pod_path(self.state_dir, uid)))

    def add_address(self, address: str) -> None:
        """A local address of the cluster namespace (on kube-ipvs0): a Service's, or a server's of the world."""
        if self.available and address not in self._addresses:
            self._run(lambda: self._ipr.addr("add", index=self._index(IPVS_DEVICE), address=address, prefixlen=32))
            self._addresses.add(address)

    def remove_address(self, address: str) -> None:
        if address in self._addresses:
            self._addresses.discard(address)
            self._run(lambda: self._ipr.addr("del", index=self._index(IPVS_DEVICE), address=address, prefixlen=32))

    def socket_soon(self, kind: socket.SocketKind = socket.SOCK_STREAM) -> Future[socket.socket]:
        """An IPv4 socket of the cluster namespace, to dial pods or listen on a cluster address, once the
        network's thread makes it."""
        if not self.available:
            raise OSError("no pod network on this machine")
        if kind == socket.SOCK_STREAM:
            return self._thread.submit(tcp_socket)
        return self._thread.submit(socket.socket, socket.AF_INET, kind)

    def listen(self, address: str, port: int) -> socket.socket:
        """A TCP socket listening on `address:port` inside the cluster namespace, the address added there
        first: a server of the outside world that pods reach (serve it with `sock=`)."""
        sock = self._bound(address, port, socket.SOCK_STREAM)
        sock.listen(128)
        return sock

    def listen_udp(self, address: str, port: int) -> socket.socket:
        """A UDP socket bound to `address:port` inside the cluster namespace, as `listen`."""
        return self._bound(address, port, socket.SOCK_DGRAM)

    def _bound(self, address: str, port: int, kind: socket.SocketKind) -> socket.socket:
        ipaddress.IPv4Address(address)  # ValueError for anything else
        if address not in self._node_addresses:
            self.add_address(address)
        sock = self.socket_soon(kind).result()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        return sock

    def close(self) -> None:
        """Remove every namespace of this simulator: the pods' and the cluster's."""
        if self.available:
            for uid in list(self._pods):
                self.detach(uid)
            self._run(self._ipr.close)
            netns.remove(self.cluster)
        self._thread.shutdown()
