"""The simulator's SPDY/3.1 framing against frames built here from the SPDY/3 draft's layout, with a
zlib stream of our own (no simulator needed)."""

from __future__ import annotations

import struct
import zlib

from sugarlab.sim.kubelet.streaming import spdy


def _header_block(compressor: zlib._Compress, headers: dict[str, str]) -> bytes:
    raw = struct.pack(">I", len(headers)) + b"".join(
        struct.pack(">I", len(k)) + k.encode() + struct.pack(">I", len(v)) + v.encode() for k, v in headers.items()
    )
    return compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _syn_stream(compressor: zlib._Compress, stream_id: int, headers: dict[str, str]) -> bytes:
    body = struct.pack(">IIBB", stream_id, 0, 0, 0) + _header_block(compressor, headers)
    return struct.pack(">HHB", 0x8003, 1, 0) + len(body).to_bytes(3, "big") + body


def test_frames_from_a_client_are_read_across_message_boundaries() -> None:
    client = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zdict=spdy.DICTIONARY)
    error = _syn_stream(client, 1, {"streamtype": "error", "port": "9000", "requestid": "0"})
    data = _syn_stream(client, 3, {"streamtype": "data", "port": "9000", "requestid": "0"})
    ping = struct.pack(">HHB", 0x8003, 6, 0) + (4).to_bytes(3, "big") + struct.pack(">I", 1)
    payload = struct.pack(">IB", 3, spdy.FLAG_FIN) + (5).to_bytes(3, "big") + b"hello"
    wire = error + data + ping + payload
    session = spdy.Session()
    frames = session.feed(wire[:7]) + session.feed(wire[7:40]) + session.feed(wire[40:])
    assert [(f.kind, f.stream_id) for f in frames] == [
        (spdy.SYN_STREAM, 1),
        (spdy.SYN_STREAM, 3),
        (spdy.PING, 0),
        (0, 3),
    ]
    assert frames[1].headers == {"streamtype": "data", "port": "9000", "requestid": "0"}
    assert frames[2].value == 1
    assert (frames[3].data, frames[3].fin) == (b"hello", True)


def test_frames_to_a_client_follow_the_draft_layout() -> None:
    session = spdy.Session()
    reply = session.syn_reply(3)
    assert reply[:4] == struct.pack(">HH", 0x8003, spdy.SYN_REPLY)
    assert int.from_bytes(reply[5:8], "big") == len(reply) - 8
    assert struct.unpack(">I", reply[8:12])[0] == 3
    inflate = zlib.decompressobj(zdict=spdy.DICTIONARY)
    assert inflate.decompress(reply[12:]) == struct.pack(">I", 0)  # an empty header block
    data = session.data(3, b"answer", fin=True)
    assert data == struct.pack(">IB", 3, spdy.FLAG_FIN) + (6).to_bytes(3, "big") + b"answer"
    assert session.ping(7) == struct.pack(">HHB", 0x8003, spdy.PING, 0) + (4).to_bytes(3, "big") + struct.pack(">I", 7)
    assert session.rst_stream(5) == (
        struct.pack(">HHB", 0x8003, spdy.RST_STREAM, 0)
        + (8).to_bytes(3, "big")
        + struct.pack(">II", 5, spdy.RST_CANCEL)
    )


def test_the_header_dictionary_is_spdy3s() -> None:
    # SPDY/3's dictionary: 1423 bytes, opening with "options" and closing with ",enq=0."
    assert len(spdy.DICTIONARY) == 1423
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert spdy.DICTIONARY.endswith(b"utf-,*,enq=0.")
