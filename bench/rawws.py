"""A minimal WebSocket receiving client on asyncio.Protocol, for benchmarks.

A Python client built on a full WebSocket library tops out near 50,000 frames/s on one core,
below what the servers under test can send; this one parses only frame headers and reads
the timestamp from each payload, so the server, not the load generator, is measured.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable


class RawWebSocket(asyncio.Protocol):
    transport: asyncio.Transport  # set by connection_made, before any other use

    def __init__(self, on_payload: Callable[[bytes, float], None]) -> None:
        self.on_payload = on_payload
        self.buffer = bytearray()
        self.handshake_done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream connection's is a Transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.handshake_done.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[: self.buffer.find(b"\r\n")])
            del self.buffer[: end + 4]
            if b" 101 " not in status:
                self.handshake_done.set_exception(ConnectionError(status.decode(errors="replace")))
                return
            self.handshake_done.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buf = self.buffer
        pos = 0
        size = len(buf)
        now = time.perf_counter()
        while size - pos >= 2:
            length = buf[pos + 1] & 0x7F
            header = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = struct.unpack_from("!H", buf, pos + 2)[0]
                header = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = struct.unpack_from("!Q", buf, pos + 2)[0]
                header = 10
            if size - pos < header + length:
                break
            opcode = buf[pos] & 0x0F
            if opcode == 0x1:
                self.on_payload(bytes(buf[pos + header : pos + header + length]), now)
            elif opcode == 0x9:  # answer the server's keepalive pings, or it closes a long run
                self._send_frame(0x8A, bytes(buf[pos + header : pos + header + length]))
            pos += header + length
        del buf[:pos]

    def send_text(self, text: str) -> None:
        self._send_frame(0x81, text.encode())

    def _send_frame(self, first_byte: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", first_byte, 0x80 | length)
        elif length < 65536:
            header = struct.pack("!BBH", first_byte, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", first_byte, 0x80 | 127, length)
        self.transport.write(header + mask + masked)


async def open_raw(host: str, port: int, path: str, headers: dict[str, str], on_payload) -> RawWebSocket:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(lambda: RawWebSocket(on_payload), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    protocol.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await asyncio.wait_for(protocol.handshake_done, timeout=10)
    return protocol
