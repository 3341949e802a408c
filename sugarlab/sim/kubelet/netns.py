"""Connections made inside a container's network namespace, as containerd's port forward makes them.

A sandboxed container (`sandbox`) has a network namespace of its own holding only a loopback, so a
port it listens on is reachable only from inside. containerd's CRI plugin forwards a port by entering
the sandbox's namespace and dialling `localhost:PORT` there, IPv4 first, then IPv6
(internal/cri/server/sandbox_portforward_linux.go, `portForward`). Here the same is done with
setns(2) on a short-lived thread (a network namespace is per thread): the socket it connects keeps
the namespace it was made in, and the thread ends with it, leaving the server's threads untouched.
Entering the namespace needs CAP_SYS_ADMIN (the simulator running as root); without it the dial fails
with the reason, as containerd's would.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import socket
import threading

import psutil

CLONE_NEWNET = 0x40000000  # linux/sched.h
DIAL_TIMEOUT_S = 5.0


class EnterFailed(OSError):
    """The namespace could not be entered (the container is gone, or the simulator may not enter it)."""


class DialFailed(OSError):
    """Nothing answers on the port inside the namespace: both dials' errors, as Go's net.Dial words them."""


def namespace_pid(outer: int) -> int | None:
    """A process inside the namespaces that bwrap (process `outer`) made: its first descendant whose
    network namespace differs from bwrap's own."""
    try:
        own = os.readlink(f"/proc/{outer}/ns/net")
        for child in psutil.Process(outer).children(recursive=True):
            if os.readlink(f"/proc/{child.pid}/ns/net") != own:
                return child.pid
    except (OSError, psutil.Error):
        return None
    return None


def _go_error(error: OSError) -> str:
    """An errno as Go's syscall.Errno prints it (`connection refused`): strerror, lower-cased."""
    return os.strerror(error.errno).lower() if error.errno else str(error)


def _connect(pid: int, port: int, timeout: float = DIAL_TIMEOUT_S) -> socket.socket:
    """On the calling thread: enter `pid`'s network namespace and connect to localhost:port, v4 then v6."""
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    except OSError as gone:
        raise EnterFailed(gone.errno, f"open /proc/{pid}/ns/net: {_go_error(gone)}") from None
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise EnterFailed(errno, f"setns: {os.strerror(errno).lower()}")
    finally:
        os.close(fd)
    failures = []
    for family, address, network in (
        (socket.AF_INET, ("127.0.0.1", port), f"tcp4 127.0.0.1:{port}"),
        (socket.AF_INET6, ("::1", port), f"tcp6 [::1]:{port}"),
    ):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError as error:
            sock.close()
            failures.append(f"dial {network}: connect: {_go_error(error)}")
            continue
        sock.settimeout(None)
        return sock
    raise DialFailed(0, f"IPv4: {failures[0]} IPv6 {failures[1]} ")


async def connect(pid: int, port: int) -> socket.socket:
    """A socket connected to `port` on the loopback of `pid`'s network namespace (EnterFailed, DialFailed)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[socket.socket] = loop.create_future()

    def run() -> None:
        try:
            sock = _connect(pid, port)
        except OSError as failed:
            loop.call_soon_threadsafe(_settle, done, None, failed)
        else:
            loop.call_soon_threadsafe(_settle, done, sock, None)

    threading.Thread(target=run, name=f"netns-dial-{pid}-{port}", daemon=True).start()
    return await done


def dial(pid: int, port: int, timeout: float) -> socket.socket:
    """`connect` for synchronous callers (the kubelet's probes): the same dial on a thread of its own."""
    result: list[socket.socket | OSError] = []

    def run() -> None:
        try:
            result.append(_connect(pid, port, timeout))
        except OSError as failed:
            result.append(failed)

    thread = threading.Thread(target=run, name=f"netns-probe-{pid}-{port}", daemon=True)
    thread.start()
    thread.join(timeout + 1)
    if not result:
        raise DialFailed(0, f"dial tcp4 127.0.0.1:{port}: i/o timeout")
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
