"""Connections made inside a pod's network namespace, as containerd's port forward and the kubelet's
probes make them.

containerd's CRI plugin forwards a port by entering the sandbox's namespace and dialling
`localhost:PORT` there, IPv4 first, then IPv6 (internal/cri/server/sandbox_portforward_linux.go,
`portForward`). Here the same is done with setns(2) on a short-lived thread (a network namespace is
per thread, `netns`): the socket it connects keeps the namespace it was made in, and the thread ends
with it, leaving the server's threads untouched. Entering the namespace needs CAP_SYS_ADMIN (the
simulator running as root); without it the dial fails with the reason, as containerd's would.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from pathlib import Path

from sugarlab.sim.network.netns import EnterFailed, enter
from sugarlab.sim.network.tcp import tcp_socket

DIAL_TIMEOUT_S = 5.0
LOCALHOST = (("tcp4", "127.0.0.1"), ("tcp6", "::1"))

__all__ = ["DialFailed", "EnterFailed", "connect", "dial"]


class DialFailed(OSError):
    """Nothing answers on the port inside the namespace: each dial's error, as Go's net.Dial words them."""


def _go_error(error: OSError) -> str:
    """An errno as Go's syscall.Errno prints it (`connection refused`): strerror, lower-cased."""
    return os.strerror(error.errno).lower() if error.errno else str(error)


def _connect(path: Path, port: int, hosts: tuple[tuple[str, str], ...], timeout: float) -> socket.socket:
    """On the calling thread: enter the namespace at `path` and connect to the first of `hosts` that answers."""
    enter(path)
    failures = []
    for network, host in hosts:
        family = socket.AF_INET6 if network == "tcp6" else socket.AF_INET
        sock = tcp_socket(family)
        sock.settimeout(timeout)
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        try:
            sock.connect((host, port))
        except OSError as error:
            sock.close()
            failures.append(f"dial {network} {shown}:{port}: connect: {_go_error(error)}")
            continue
        sock.settimeout(None)
        return sock
    if len(failures) == 2:  # containerd's message for its two dials
        raise DialFailed(0, f"IPv4: {failures[0]} IPv6 {failures[1]} ")
    raise DialFailed(0, failures[0])


async def connect(path: Path, port: int) -> socket.socket:
    """A socket connected to `port` on the loopback of the namespace at `path` (EnterFailed, DialFailed)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[socket.socket] = loop.create_future()

    def run() -> None:
        try:
            sock = _connect(path, port, LOCALHOST, DIAL_TIMEOUT_S)
        except OSError as failed:
            loop.call_soon_threadsafe(_settle, done, None, failed)
        else:
            loop.call_soon_threadsafe(_settle, done, sock, None)

    threading.Thread(target=run, name=f"netns-dial-{port}", daemon=True).start()
    return await done


def dial(path: Path, host: str, port: int, timeout: float) -> socket.socket:
    """For synchronous callers (the kubelet's probes): `host:port` dialled inside the namespace at `path`, on a
    thread of its own."""
    result: list[socket.socket | OSError] = []

    def run() -> None:
        try:
            result.append(_connect(path, port, (("tcp", host),), timeout))
        except OSError as failed:
            result.append(failed)

    thread = threading.Thread(target=run, name=f"netns-probe-{port}", daemon=True)
    thread.start()
    thread.join(timeout + 1)
    if not result:
        raise DialFailed(0, f"dial tcp {host}:{port}: i/o timeout")
    if isinstance(result[0], OSError):
        raise result[0]
    return result[0]


def _settle(done: asyncio.Future[socket.socket], sock: socket.socket | None, error: OSError | None) -> None:
    if done.cancelled():
        if sock is not None:
            sock.close()
    elif error is not None:
        done.set_exception(error)
    else:
        assert sock is not None
        done.set_result(sock)
