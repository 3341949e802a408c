"""The simulator's network namespaces: a pod reaches a server of the outside world listening in the cluster
namespace (`PodNetwork.listen`), and a simulator removes what a killed one of its workspace left, only that."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sugarlab.sim.network import dial, netns
from sugarlab.sim.network.cni import PodNetwork

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
NODE: dict[str, Any] = {
    "spec": {"podCIDR": "10.42.3.0/24"},
    "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.30"}]},
}


@pytest.fixture
def network(tmp_path: Path) -> Iterator[PodNetwork]:
    made = PodNetwork(tmp_path)
    assert made.available
    yield made
    made.close()


def test_a_pod_reaches_a_server_listening_on_an_outside_address(network: PodNetwork, tmp_path: Path) -> None:
    server = network.listen("203.0.113.10", 80)
    server.setblocking(True)
    network.attach("pod-a", NODE, "10.42.3.2")

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.sendall(b"hello from outside")

    threading.Thread(target=serve, daemon=True).start()
    with dial.dial(netns.pod_path(tmp_path, "pod-a"), "203.0.113.10", 80, timeout=5) as sock:
        assert sock.recv(100) == b"hello from outside"
        assert sock.getsockname()[0] == "10.42.3.2"
    server.close()


def test_a_pods_namespace_goes_with_it_and_all_go_when_the_network_closes(tmp_path: Path) -> None:
    network = PodNetwork(tmp_path)
    network.attach("pod-a", NODE, "10.42.3.2")
    network.attach("pod-b", NODE, "10.42.3.3")
    network.detach("pod-a")
    assert not netns.pod_path(tmp_path, "pod-a").exists()
    assert netns.pod_path(tmp_path, "pod-b").exists()
    network.close()
    assert not netns.pod_path(tmp_path, "pod-b").exists()
    assert not netns.cluster_path(tmp_path).exists()


def _leave(*paths: Path) -> None:
    """Namespaces as a killed simulator leaves them: mounted, with nothing to remove them."""
    for path in paths:
        thread = threading.Thread(target=netns.create, args=(path,))  # the throwaway thread enters it
        thread.start()
        thread.join()


def test_a_new_start_removes_only_its_own_workspaces_leftovers(tmp_path: Path) -> None:
    mine, other = tmp_path / "mine", tmp_path / "other"
    _leave(netns.cluster_path(mine), netns.pod_path(mine, "pod-a"), netns.pod_path(other, "pod-b"))
    try:
        PodNetwork(mine).close()
        assert not netns.pod_path(mine, "pod-a").exists()
        assert netns.pod_path(other, "pod-b").exists()
    finally:
        netns.remove_leftovers(other)
