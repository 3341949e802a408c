"""Dialling a port inside a process's network namespace, and the errors a port-forward stream carries."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from sugarlab.sim.kubelet import netns
from sugarlab.sim.kubelet.streaming.portforward import connector

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="entering a network namespace needs root")
GONE = 2**22 + 1  # above the kernel's pid_max default: no such process


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
def test_a_dial_inside_a_namespace_connects_to_its_loopback(listening: int) -> None:
    with netns.dial(os.getpid(), listening, timeout=2) as sock:
        assert sock.getpeername() == ("127.0.0.1", listening)


@needs_root
def test_a_refused_port_fails_with_both_dials_as_go_words_them() -> None:
    port = _closed_port()
    with pytest.raises(netns.DialFailed) as failed:
        netns.dial(os.getpid(), port, timeout=2)
    # containerd's wording; the IPv6 reason depends on whether the namespace has ::1
    assert (failed.value.strerror or "").startswith(
        f"IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: "
    )


def test_a_namespace_that_is_gone_cannot_be_entered() -> None:
    with pytest.raises(netns.EnterFailed, match=f"open /proc/{GONE}/ns/net: no such file or directory"):
        netns.dial(GONE, 80, timeout=2)


def _pod(uid: str = "9d6a3c1e-0000-4000-8000-000000000001") -> dict[str, Any]:
    return {"metadata": {"uid": uid}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


def _processes(*pids: int) -> Any:
    """The simulator's processes as the port-forward sees them: no real service, these containers' namespaces."""
    return SimpleNamespace(endpoint=lambda uid: None, confined=SimpleNamespace(namespaces=lambda uid: list(pids)))


def test_a_stream_to_a_container_that_is_gone_fails_with_the_reason_instead_of_hanging() -> None:
    dial = connector(_processes(GONE), _pod())
    answer = asyncio.run(asyncio.wait_for(dial(8080), timeout=10))
    assert isinstance(answer, str)
    assert answer.startswith("error forwarding port 8080 to pod ")
    assert 'failed to execute portforward in network namespace "/var/run/netns/cni-' in answer
    assert answer.endswith(f"open /proc/{GONE}/ns/net: no such file or directory")


@needs_root
def test_a_stream_reaches_a_port_listening_in_the_namespace(listening: int) -> None:
    async def exchange() -> bool:
        answer = await connector(_processes(os.getpid()), _pod())(listening)
        assert not isinstance(answer, str), answer
        answer[1].close()
        return True

    assert asyncio.run(asyncio.wait_for(exchange(), timeout=10))
