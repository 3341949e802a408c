"""The simulator's TCP servers answer without Nagle's delay, as Go's servers do (sim/network/tcp.py)."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx

from sugarlab.sim.network.tcp import tcp_socket


async def _accepted_nodelay(listener: socket.socket) -> int:
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def accepted(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = await asyncio.start_server(accepted, sock=listener)
    async with server:
        _, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()


def test_asyncio_turns_nagle_off_only_on_a_socket_that_names_tcp() -> None:
    assert asyncio.run(_accepted_nodelay(tcp_socket())) != 0
    assert asyncio.run(_accepted_nodelay(socket.socket(socket.AF_INET, socket.SOCK_STREAM))) == 0  # why it names it


def test_the_api_server_answers_without_waiting_for_a_delayed_ack(http: httpx.Client) -> None:
    """Before, every answer's body waited for the client's delayed ACK (40 ms at least on Linux), however small."""
    http.get("/version").raise_for_status()
    took = []
    for _ in range(9):
        began = time.perf_counter()
        http.get("/version").raise_for_status()
        took.append(time.perf_counter() - began)
    assert min(took) < 0.035, f"the quickest of 9 answers took {min(took) * 1000:.0f} ms"
