"""SPDY/3.1 framing, the server half, as far as Kubernetes' port-forward uses it.

kubectl (client-go's tools/portforward) multiplexes forwarded connections as SPDY streams; since
1.31 it tunnels them through a websocket (`SPDY/3.1+portforward.k8s.io`) whose binary messages carry
the SPDY byte stream. Frames and header blocks follow the SPDY/3 draft as moby/spdystream implements
it (spdy/read.go, spdy/write.go): an 8-byte header (control bit, version 3 and type, or a 31-bit
stream id; then 8 bits of flags and a 24-bit length), and name/value header blocks compressed with
one zlib stream per direction, primed with SPDY/3's dictionary. spdystream does no flow control, so
WINDOW_UPDATE and SETTINGS are read and ignored.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
RST_CANCEL = 5  # RST_STREAM status: the stream is no longer needed
MAX_DATA = (1 << 24) - 1

# The zlib dictionary of SPDY/3 header blocks (draft 3, section 2.6.10.1; moby/spdystream spdy/dictionary.go):
# header names each preceded by its length as 4 bytes, then a run of common values.
_NAMES = (
    "options",
    "head",
    "post",
    "put",
    "delete",
    "trace",
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "connection",
    "content-base",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-md5",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "pragma",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "retry-after",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "vary",
    "via",
    "warning",
    "www-authenticate",
    "method",
    "get",
    "status",
    "200 OK",
    "version",
    "HTTP/1.1",
    "url",
    "public",
    "set-cookie",
    "keep-alive",
    "origin",
)
_VALUES = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505203 Non-"
    "Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 "
    "Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar"
    " Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/ht"
    "ml,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,pu"
    "blicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = b"".join(len(n).to_bytes(4, "big") + n.encode() for n in _NAMES) + _VALUES.encode()


class ProtocolError(Exception):
    """The peer sent something that is not SPDY/3."""


@dataclass(frozen=True)
class Frame:
    """A control frame (`kind` is its type) or a data frame (`kind` 0)."""

    kind: int
    flags: int
    stream_id: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes = b""
    value: int = 0  # PING's id, RST_STREAM's and GOAWAY's status

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


class Session:
    """Turns the peer's bytes into frames and this side's intentions into bytes, for one connection."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zdict=DICTIONARY)

    # -- reading ----------------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by `data` (frames may span websocket messages)."""
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            length = int.from_bytes(self._buffer[5:8], "big")
            if len(self._buffer) < 8 + length:
                break
            head, body = bytes(self._buffer[:8]), bytes(self._buffer[8 : 8 + length])
            del self._buffer[: 8 + length]
            frames.append(self._parse(head, body))
        return frames

    def _parse(self, head: bytes, body: bytes) -> Frame:
        first, flags = struct.unpack(">I", head[:4])[0], head[4]
        if not first & 0x80000000:
            return Frame(0, flags, first & 0x7FFFFFFF, data=body)
        version, kind = (first >> 16) & 0x7FFF, first & 0xFFFF
        if version != VERSION:
            raise ProtocolError(f"unsupported SPDY version {version}")
        if kind == SYN_STREAM:
            return Frame(kind, flags, _id(body, 0), self._headers(body[10:]))
        if kind in (SYN_REPLY, HEADERS):
            return Frame(kind, flags, _id(body, 0), self._headers(body[4:]))
        if kind in (RST_STREAM, WINDOW_UPDATE):
            return Frame(kind, flags, _id(body, 0), value=struct.unpack(">I", body[4:8])[0])
        if kind == PING:
            return Frame(kind, flags, value=struct.unpack(">I", body[:4])[0])
        if kind == GOAWAY:
            return Frame(kind, flags, _id(body, 0), value=struct.unpack(">I", body[4:8])[0])
        return Frame(kind, flags)  # SETTINGS and unknown control frames: nothing to act on

    def _headers(self, block: bytes) -> dict[str, str]:
        raw = self._inflate.decompress(block)
        count, at, headers = struct.unpack(">I", raw[:4])[0], 4, {}
        for _ in range(count):
            size = struct.unpack(">I", raw[at : at + 4])[0]
            name = raw[at + 4 : at + 4 + size].decode()
            at += 4 + size
            size = struct.unpack(">I", raw[at : at + 4])[0]
            headers[name.lower()] = raw[at + 4 : at + 4 + size].decode()
            at += 4 + size
        return headers

    # -- writing ----------------------------------------------------------------------------------
    def syn_reply(self, stream_id: int, fin: bool = False) -> bytes:
        block = self._deflate.compress(struct.pack(">I", 0)) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        return _control(SYN_REPLY, FLAG_FIN if fin else 0, struct.pack(">I", stream_id) + block)

    def ping(self, ping_id: int) -> bytes:
        return _control(PING, 0, struct.pack(">I", ping_id))

    def rst_stream(self, stream_id: int, status: int = RST_CANCEL) -> bytes:
        return _control(RST_STREAM, 0, struct.pack(">II", stream_id, status))

    def data(self, stream_id: int, payload: bytes, fin: bool = False) -> bytes:
        """One or more data frames carrying `payload`, the last with FIN when asked."""
        chunks = [payload[i : i + MAX_DATA] for i in range(0, len(payload), MAX_DATA)] or [b""]
        return b"".join(
            struct.pack(">I", stream_id)
            + bytes([FLAG_FIN if fin and i == len(chunks) - 1 else 0])
            + len(chunk).to_bytes(3, "big")
            + chunk
            for i, chunk in enumerate(chunks)
        )


def _id(body: bytes, at: int) -> int:
    return int(struct.unpack(">I", body[at : at + 4])[0]) & 0x7FFFFFFF


def _control(kind: int, flags: int, body: bytes) -> bytes:
    return struct.pack(">HHB", 0x8000 | VERSION, kind, flags) + len(body).to_bytes(3, "big") + body
