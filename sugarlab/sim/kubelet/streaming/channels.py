"""The websocket channel protocol of exec and port-forward (`channel.k8s.io` and its versions).

Every binary message carries one channel's data, the channel number in its first byte; the base64
variants send text messages whose first character is the channel number as an ASCII digit and whose
rest is base64. The server picks the first protocol the client offers that it supports, as
`wsstream.Conn`'s handshake does (k8s.io/apimachinery/pkg/util/httpstream/wsstream/conn.go), and an
empty offer means the unversioned binary protocol. `v5.channel.k8s.io` adds one message a client can
send: channel 255 followed by the number of a channel it has finished writing to.
"""

from __future__ import annotations

import asyncio
import base64

from starlette.websockets import WebSocket

CLOSE = 255  # v5: "this side is done writing to channel N" (remotecommand.StreamClose)
V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
V4_BASE64 = "v4.base64.channel.k8s.io"
V1 = "channel.k8s.io"
V1_BASE64 = "base64.channel.k8s.io"


class Channels:
    """A negotiated channel protocol over an accepted websocket; sends from several tasks take turns."""

    def __init__(self, websocket: WebSocket, protocol: str) -> None:
        self.websocket, self.protocol = websocket, protocol
        self._sending = asyncio.Lock()

    @property
    def base64(self) -> bool:
        return "base64" in self.protocol

    @property
    def versioned(self) -> bool:
        """v4 and later write a `Status` as JSON on the error channel, older ones its message only."""
        return self.protocol in (V4, V4_BASE64, V5)

    async def send(self, channel: int, data: bytes) -> None:
        async with self._sending:
            if self.base64:
                await self.websocket.send_text(chr(ord("0") + channel) + base64.b64encode(data).decode())
            else:
                await self.websocket.send_bytes(bytes([channel]) + data)

    def decode(self, message: bytes | str) -> tuple[int, bytes] | None:
        """(channel, data) of a message from the client; None for an empty one. As `wsstream.Conn`
        reads them, text and binary messages alike are bytes (the official client sends stdin as text)."""
        raw = message.encode() if isinstance(message, str) else message
        if not raw:
            return None
        if self.base64:
            return raw[0] - ord("0"), base64.b64decode(raw[1:])
        return raw[0], raw[1:]


def negotiate(offered_header: str, supported: tuple[str, ...]) -> str | None:
    """The protocol to answer with: the first offered that is supported ("" when none is offered)."""
    offered = [p.strip() for p in offered_header.split(",") if p.strip()] or [""]
    return next((p for p in offered if p in supported), None)


def unsupported(offered_header: str, supported: tuple[str, ...]) -> str:
    """wsstream's handshake error, which kube-apiserver returns as the body of a 400."""
    offered = [p.strip() for p in offered_header.split(",") if p.strip()]
    return f"requested protocol(s) are not supported: [{' '.join(offered)}]; supports [{' '.join(supported)}]"
