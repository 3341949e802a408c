"""The simulated internet's servers on 127.0.0.1 for tests, and an HTTP CONNECT proxy that stands in for the
cluster's DNS and routing: a client asking for `pypi.org:443` is tunnelled to the socket `serve` got from
`listen(address_of("pypi.org"), 443)`, so real clients (pip, urllib) use the hosts' real URLs and names."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sugarlab.sim.internet.servers import serve
from sugarlab.sim.world.internet import address_of
from sugarlab.sim.world.internet_ca import ca_bundle


@dataclass(frozen=True)
class World:
    state_dir: Path
    ca: Path
    proxy: str  # http://127.0.0.1:<port>
    ports: dict[tuple[str, int], int]  # (host address, port) -> the local port serving it


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    writer.close()


def _proxy(
    ports: dict[tuple[str, int], int],
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = (await reader.readuntil(b"\r\n\r\n")).decode()
        method, target, _ = request.split("\r\n", 1)[0].split(" ", 2)
        name, _, port = target.rpartition(":")
        address = address_of(name)
        local = ports.get((address, int(port))) if method == "CONNECT" and address is not None else None
        if local is None:  # as a resolver without an answer: the client sees the proxy fail
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            writer.close()
            await writer.wait_closed()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", local)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:  # cancelled at the end too: no stream outlives the loop
            for each in (writer, upstream_writer):
                each.close()
                with contextlib.suppress(Exception):
                    await each.wait_closed()

    return tunnel


async def _close(server: asyncio.Server) -> None:
    """Close the proxy on its own loop: `Server.close` is not thread-safe, and from another thread it races
    with a tunnel that ends at the same moment (both wake the server's waiters, the second finds none)."""
    server.close()


async def _cancel_tunnels() -> None:
    tunnels = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tunnels:
        task.cancel()
    await asyncio.gather(*tunnels, return_exceptions=True)
    await asyncio.sleep(0.1)  # the closed streams' transports close on the loop's next rounds


@contextlib.contextmanager
def internet(state_dir: Path) -> Iterator[World]:
    ports: dict[tuple[str, int], int] = {}

    def listen(address: str, port: int) -> socket.socket:
        sock = socket.create_server(("127.0.0.1", 0))
        ports[(address, port)] = sock.getsockname()[1]
        return sock

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        running = asyncio.run_coroutine_threadsafe(serve(listen, state_dir), loop).result(60)
        proxy = asyncio.run_coroutine_threadsafe(asyncio.start_server(_proxy(ports), "127.0.0.1", 0), loop).result(10)
        try:
            yield World(state_dir, ca_bundle(state_dir), f"http://127.0.0.1:{proxy.sockets[0].getsockname()[1]}", ports)
        finally:
            asyncio.run_coroutine_threadsafe(_close(proxy), loop).result(10)
            asyncio.run_coroutine_threadsafe(running.stop(), loop).result(30)
            asyncio.run_coroutine_threadsafe(_cancel_tunnels(), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
