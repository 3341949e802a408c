"""Dialling a port inside a network namespace by its path, and the errors a port-forward stream carries."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pyroute2 import netns as pyroute2_netns

from sugarlab.sim.kubelet.streaming.portforward import connector
from sugarlab.sim.network import dial, netns

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="entering a network namespace needs root")
UID = "9d6a3c1e-0000-4000-8000-000000000001"
OWN = Path(f"/proc/{os.getpid()}/ns/net")  # this process's own namespace, where the test's server listens


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@needs_root
def test_a_dial_inside_a_namespace_connects_to_the_address(listening: int) -> None:
    with dial.dial(OWN, "127.0.0.1", listening, timeout=2) as sock:
        assert sock.getpeername() == ("127.0.0.1", listening)


@needs_root
def test_a_refused_port_forward_fails_with_both_dials_as_go_words_them() -> None:
    port = _closed_port()
    with pytest.raises(dial.DialFailed) as failed:
        asyncio.run(dial.connect(OWN, port))
    # containerd's wording; the IPv6 reason depends on whether the namespace has ::1
    assert (failed.value.strerror or "").startswith(
        f"IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: "
    )


def test_a_namespace_that_is_gone_cannot_be_entered(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    with pytest.raises(dial.EnterFailed, match=f"open {gone}: no such file or directory"):
        dial.dial(gone, "127.0.0.1", 80, timeout=2)


def _pod() -> dict[str, Any]:
    return {"metadata": {"uid": UID}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


NO_SERVICE = SimpleNamespace(endpoint=lambda uid: None)  # the simulator's processes: no real service in the pod


def test_a_stream_to_a_pod_without_a_namespace_fails_with_the_reason_instead_of_hanging(tmp_path: Path) -> None:
    answer = asyncio.run(asyncio.wait_for(connector(NO_SERVICE, _pod(), tmp_path)(8080), timeout=10))  # type: ignore[arg-type]
    assert isinstance(answer, str)
    assert answer.startswith("error forwarding port 8080 to pod ")
    assert answer.endswith('failed to execute portforward in network namespace "": the pod has no network namespace')


@pytest.fixture
def pod_namespace(tmp_path: Path) -> Iterator[Path]:
    """The pod's namespace path, standing for this process's own namespace."""
    path = netns.pod_path(tmp_path, UID)
    pyroute2_netns.attach(str(path), os.getpid())
    yield path
    netns.remove(path)


@needs_root
def test_a_stream_reaches_a_port_listening_in_the_pods_namespace(
    listening: int, pod_namespace: Path, tmp_path: Path
) -> None:
    async def exchange() -> bool:
        answer = await connector(NO_SERVICE, _pod(), tmp_path)(listening)  # type: ignore[arg-type]
        assert not isinstance(answer, str), answer
        answer[1].close()
        return True

    assert asyncio.run(asyncio.wait_for(exchange(), timeout=10))
