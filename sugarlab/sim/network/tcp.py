"""TCP sockets the simulator makes itself, to listen on or to dial with.

Go's net package turns Nagle's algorithm off on every TCP connection (`SetNoDelay`: "the default is true"),
so kube-apiserver, containerd and CoreDNS write without waiting. asyncio does the same only for a socket whose
`proto` is IPPROTO_TCP (asyncio/base_events.py, `_set_nodelay`); `socket.socket(AF_INET, SOCK_STREAM)` leaves it
0, and an answer written in two parts then waits for the client's delayed ACK, about 40 ms on Linux.
"""

from __future__ import annotations

import socket


def tcp_socket(family: socket.AddressFamily = socket.AF_INET) -> socket.socket:
    """A TCP socket that asyncio serves or dials without Nagle's delay."""
    return socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
