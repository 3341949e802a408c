"""`pods/portforward`: a client's connection to a pod's port, carried over the API server's socket.

Two protocols, both as kubelet serves them:
- the websocket channel protocol (`v4.channel.k8s.io`; the official client's `portforward`): the
  ports come in the query, each gets a data channel (2i) and an error channel (2i+1), and the first
  message on each carries the port as 2 bytes little-endian (kubelet's
  cri/streaming/portforward/websocket.go);
- SPDY tunnelled through a websocket (`SPDY/3.1+portforward.k8s.io`; kubectl 1.31+): the client opens
  an error stream and a data stream per connection, with `streamType`, `port` and `requestID`
  headers, and the server pairs them (kubelet's cri/streaming/portforward/httpstream.go).
A pod whose container runs for real on this machine (the inference service) is reached on the port
it listens on; a sandboxed container (`sandbox`) inside the pod's network namespace, entered as
containerd enters it (`sugarlab.sim.network.dial`); where nothing listens, the error stream says so as containerd
does, and a modelled pod has nothing listening.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.websockets import WebSocket

from sugarlab.common.objects import Obj
from sugarlab.sim.kubelet.processes import LocalProcesses
from sugarlab.sim.kubelet.sandbox import network_namespace
from sugarlab.sim.kubelet.streaming import spdy
from sugarlab.sim.kubelet.streaming.channels import V1, V1_BASE64, V4, V4_BASE64, Channels
from sugarlab.sim.network import dial as netns
from sugarlab.sim.world.workloads import runs_locally

WEBSOCKET_PROTOCOLS = (V4, V4_BASE64, V1, V1_BASE64, "")
TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"  # constants.WebsocketsSPDYTunnelingPrefix + "portforward.k8s.io"
READ_CHUNK = 32 * 1024
Connector = Callable[[int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter] | str]]


def ports_of(query: Any) -> list[int]:
    """The `ports` query parameter, as kubelet's newV4Options parses it; ValueError with its message."""
    words = [w for value in query.getlist("ports") for w in value.split(",") if w]
    if not words:
        raise ValueError('query parameter "port" is required')
    ports = []
    for word in words:
        try:
            port = int(word)
        except ValueError:
            raise ValueError(
                f'unable to parse "{word}" as a port: strconv.ParseUint: parsing "{word}": invalid syntax'
            ) from None
        if not 0 < port < 65536:
            raise ValueError(f'"{word}" is not a valid port')
        ports.append(port)
    return ports


def connector(processes: LocalProcesses, pod: Obj, state_dir: Path) -> Connector:
    """Dials a port of `pod`: the real process's port where the pod runs one (the inference service),
    else the port inside the pod's network namespace (`sandbox.network_namespace`), else nothing listens."""
    listening: dict[int, int] = {}
    uid = pod["metadata"]["uid"]
    real = processes.endpoint(uid)
    for container in pod["spec"]["containers"]:
        if real is not None and runs_locally(container):
            listening |= {port: real for port in _pod_ports(container)}
    sandbox = hashlib.sha256(uid.encode()).hexdigest()
    namespace = network_namespace(state_dir, pod)
    in_namespace = f'failed to execute portforward in network namespace "{namespace or ""}"'

    async def dial(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | str:
        if port in listening:
            with contextlib.suppress(OSError):
                return await asyncio.open_connection("127.0.0.1", listening[port])
        # containerd's sandbox port forward (sandbox_portforward_linux.go), wrapped by kubelet's stream handler.
        refused = (
            f"IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused "
            f"IPv6 dial tcp6 [::1]:{port}: connect: connection refused "
        )
        failure = f'{in_namespace}: failed to connect to localhost:{port} inside namespace "{sandbox}", {refused}'
        if namespace is None:  # no pod network on this machine
            failure = f"{in_namespace}: the pod has no network namespace"
        else:
            try:
                return await asyncio.open_connection(sock=await netns.connect(namespace, port))
            except netns.EnterFailed as cannot:
                failure = f"{in_namespace}: {cannot.strerror}"
            except netns.DialFailed as nothing:
                failure = f'{in_namespace}: failed to connect to localhost:{port} inside namespace "{sandbox}", ' + (
                    nothing.strerror or ""
                )
        return f"error forwarding port {port} to pod {sandbox}, uid : {failure}"

    return dial


def _pod_ports(container: Obj) -> set[int]:
    """The ports a locally run container listens on inside its pod: its PORT, else those it declares."""
    env = {e.get("name"): e.get("value") for e in container.get("env") or []}
    if str(env.get("PORT", "")).isdigit():
        return {int(env["PORT"])}
    return {int(p["containerPort"]) for p in container.get("ports") or [] if "containerPort" in p}


async def _copy_out(reader: asyncio.StreamReader, send: Callable[[bytes], Awaitable[None]]) -> None:
    while chunk := await reader.read(READ_CHUNK):
        await send(chunk)


# -- the websocket channel protocol ----------------------------------------------------------------
async def serve_channels(websocket: WebSocket, protocol: str, ports: list[int], dial: Connector) -> None:
    channels = Channels(websocket, protocol)
    for i, port in enumerate(ports):
        await channels.send(2 * i, struct.pack("<H", port))
        await channels.send(2 * i + 1, struct.pack("<H", port))
    upstreams = [await dial(port) for port in ports]

    def sender(channel: int) -> Callable[[bytes], Awaitable[None]]:
        return lambda data: channels.send(channel, data)

    copies: list[asyncio.Future[Any]] = []
    for i, upstream in enumerate(upstreams):
        if isinstance(upstream, str):
            await channels.send(2 * i + 1, upstream.encode())
        else:
            copies.append(asyncio.create_task(_copy_out(upstream[0], sender(2 * i))))

    async def receive() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            decoded = channels.decode(message.get("bytes") or message.get("text") or b"")
            if decoded is None or decoded[0] % 2 or decoded[0] // 2 >= len(upstreams):
                continue
            upstream = upstreams[decoded[0] // 2]
            if not isinstance(upstream, str):
                upstream[1].write(decoded[1])
                with contextlib.suppress(ConnectionError):
                    await upstream[1].drain()

    receiving = asyncio.create_task(receive())
    try:
        if copies:
            copying: asyncio.Future[Any] = asyncio.gather(*copies)
            await asyncio.wait([receiving, copying], return_when=asyncio.FIRST_COMPLETED)
    finally:
        receiving.cancel()
        for task in copies:
            task.cancel()
        for upstream in upstreams:
            if not isinstance(upstream, str):
                upstream[1].close()
    with contextlib.suppress(RuntimeError):
        await websocket.close()


# -- SPDY through a websocket ----------------------------------------------------------------------
@dataclass
class _Pair:
    """The two streams of one forwarded connection."""

    request: str
    port: int
    data: int = 0
    error: int = 0
    writer: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    pending: bytearray = field(default_factory=bytearray)  # the client's data sent before the dial completed
    client_done: bool = False

    async def to_upstream(self, data: bytes, fin: bool) -> None:
        """The client's bytes, kept until the upstream connection is open; its FIN half-closes it."""
        self.client_done |= fin
        if self.writer is None:
            self.pending += data
            return
        if data:
            self.writer.write(data)
            with contextlib.suppress(ConnectionError):
                await self.writer.drain()
        if self.client_done and self.writer.can_write_eof():
            with contextlib.suppress(OSError):
                self.writer.write_eof()


class Tunnel:
    """One SPDY session inside a websocket: streams paired by request id, each pair one connection."""

    def __init__(self, websocket: WebSocket, dial: Connector) -> None:
        self.websocket, self.dial = websocket, dial
        self.session = spdy.Session()
        self.pairs: dict[str, _Pair] = {}
        self.streams: dict[int, str] = {}  # stream id -> request id
        self._sending = asyncio.Lock()

    async def send(self, frame: bytes) -> None:
        async with self._sending:
            await self.websocket.send_bytes(frame)

    async def serve(self) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                for frame in self.session.feed(message.get("bytes") or b""):
                    if not await self._handle(frame):
                        return
        finally:
            for pair in self.pairs.values():
                self._drop(pair)

    async def _handle(self, frame: spdy.Frame) -> bool:
        """Act on one frame; False once the client has gone away."""
        if frame.kind == spdy.PING:
            await self.send(self.session.ping(frame.value))
        elif frame.kind == spdy.GOAWAY:
            return False
        elif frame.kind == spdy.SYN_STREAM:
            await self._open(frame)
        elif frame.kind == spdy.RST_STREAM:
            pair = self.pairs.pop(self.streams.get(frame.stream_id, ""), None)
            if pair is not None:
                self._drop(pair)
        elif frame.kind == 0:
            pair = self.pairs.get(self.streams.get(frame.stream_id, ""))
            if pair is not None and pair.data == frame.stream_id:
                await pair.to_upstream(frame.data, frame.fin)
        return True

    async def _open(self, frame: spdy.Frame) -> None:
        await self.send(self.session.syn_reply(frame.stream_id))
        request = frame.headers.get("requestid", "")
        try:
            port = int(frame.headers.get("port", ""))
        except ValueError:
            await self.send(self.session.rst_stream(frame.stream_id))
            return
        pair = self.pairs.setdefault(request, _Pair(request, port))
        self.streams[frame.stream_id] = request
        if frame.headers.get("streamtype") == "error":
            pair.error = frame.stream_id
        elif frame.headers.get("streamtype") == "data":
            pair.data = frame.stream_id
        if pair.data and pair.error and not pair.tasks:
            pair.tasks.append(asyncio.create_task(self._forward(pair)))

    async def _forward(self, pair: _Pair) -> None:
        """Connect the pair to the pod's port and copy until the pod's side ends; then forget the pair."""
        try:
            upstream = await self.dial(pair.port)
            if isinstance(upstream, str):
                await self.send(self.session.data(pair.error, upstream.encode(), fin=True))
                await self.send(self.session.data(pair.data, b"", fin=True))
                return
            reader, pair.writer = upstream
            await pair.to_upstream(bytes(pair.pending), pair.client_done)
            await _copy_out(reader, lambda chunk: self.send(self.session.data(pair.data, chunk)))
            await self.send(self.session.data(pair.data, b"", fin=True))
            await self.send(self.session.data(pair.error, b"", fin=True))
        finally:
            if pair.writer is not None:
                pair.writer.close()
            self.pairs.pop(pair.request, None)
            self.streams.pop(pair.data, None)
            self.streams.pop(pair.error, None)

    @staticmethod
    def _drop(pair: _Pair) -> None:
        for task in pair.tasks:
            task.cancel()
        if pair.writer is not None:
            pair.writer.close()
