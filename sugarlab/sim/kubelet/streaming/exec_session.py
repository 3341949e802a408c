"""`pods/exec` over a websocket, as kubelet serves it (kubelet's cri/streaming/remotecommand/websocket.go).

Channels: 0 stdin, 1 stdout, 2 stderr, 3 error (the command's `Status` when it ends), 4 terminal
resize. kubectl 1.32 offers only `v5.channel.k8s.io` (client-go's tools/remotecommand/websocket.go),
whose channel-255 message half-closes stdin; the official Python client offers v5 and v4. Once
the socket is open kubelet sends an empty message on the lowest channel it will write to, so the
client knows the stream has started. Resize messages are read and ignored: nothing here has a
terminal to resize.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from starlette.websockets import WebSocket

from sugarlab.sim.kubelet import exec as commands
from sugarlab.sim.kubelet.streaming.channels import CLOSE, V1, V1_BASE64, V4, V4_BASE64, V5, Channels

PROTOCOLS = (V5, V4, V4_BASE64, V1, V1_BASE64, "")
READ_CHUNK = 32 * 1024


def _flag(query: Any, name: str, default: bool) -> bool:
    value = query.get(name)
    return default if value is None else value.lower() in ("1", "true")


async def serve(
    websocket: WebSocket, protocol: str, planned: commands.Command | commands.Refused, command: list[str]
) -> None:
    """Run an accepted exec session to its end and close the socket."""
    query = websocket.query_params
    tty = _flag(query, "tty", False)
    stdin, stdout = _flag(query, "stdin", False), _flag(query, "stdout", True)
    stderr = _flag(query, "stderr", True) and not tty  # a terminal carries both on stdout
    channels = Channels(websocket, protocol)
    first = commands.STDOUT if stdout else commands.STDERR if stderr else commands.ERROR
    await channels.send(first, b"")

    async def write(channel: int, data: bytes) -> None:
        wanted = stdout if channel == commands.STDOUT else stderr
        if data and wanted:
            await channels.send(channel, data)

    err_channel = commands.STDOUT if tty else commands.STDERR
    if isinstance(planned, commands.Refused):
        await write(err_channel, planned.stderr)
        exit_code = planned.exit_code
    else:
        exit_code = await _run(planned, channels, write, err_channel, stdin)
    status = commands.status(exit_code, command)
    if channels.versioned:
        await channels.send(commands.ERROR, json.dumps(status).encode())
    elif exit_code:
        await channels.send(commands.ERROR, status["message"].encode())
    await websocket.close()


async def _run(
    planned: commands.Command, channels: Channels, write: Callable[[int, bytes], Any], err_channel: int, stdin: bool
) -> int:
    process = await asyncio.create_subprocess_exec(
        *planned.argv,
        env=planned.env,
        cwd=planned.cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
    )

    async def pump(source: asyncio.StreamReader | None, channel: int) -> None:
        assert source is not None
        while chunk := await source.read(READ_CHUNK):
            await write(channel, chunk)

    async def receive() -> None:
        """Client messages: stdin data, stdin's half-close (v5), resizes; a closed socket ends the command."""
        while True:
            message = await channels.websocket.receive()
            if message["type"] == "websocket.disconnect":
                if process.returncode is None:
                    process.kill()
                return
            decoded = channels.decode(message.get("bytes") or message.get("text") or b"")
            if decoded is None or process.stdin is None:
                continue
            channel, data = decoded
            if channel == commands.STDIN:
                process.stdin.write(data)
                with contextlib.suppress(ConnectionError):
                    await process.stdin.drain()
            elif channel == CLOSE and data[:1] == bytes([commands.STDIN]):
                process.stdin.close()

    receiving = asyncio.create_task(receive())
    try:
        await asyncio.wait_for(
            asyncio.gather(pump(process.stdout, commands.STDOUT), pump(process.stderr, err_channel), process.wait()),
            commands.EXEC_TIMEOUT_S,
        )
    except TimeoutError:
        process.kill()
        await process.wait()
        await write(err_channel, b"\nkilled: the command ran past the exec timeout\n")
        return 137
    finally:
        receiving.cancel()
    code = process.returncode if process.returncode is not None else 1
    return 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + signal number
