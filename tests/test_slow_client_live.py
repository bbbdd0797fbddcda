"""A client that stops reading, on a real uvicorn: the others keep receiving, and it is let go."""

from __future__ import annotations

import base64
import os
import socket
import struct
from urllib.parse import urlsplit

import pytest

from core.realtime.hub import encode, publish_raw
from kitchen.tests.factories import ChefFactory
from tests.test_chat_live import Client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EVENTS = 160


def stalled_socket(base: str, path: str, cookie: str) -> socket.socket:
    """Open a WebSocket by hand, then never read from it again (a tiny receive buffer fills fast)."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {base}\r\n"
        f"Cookie: sessionid={cookie}\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def read_frames_until_close(sock: socket.socket, timeout: float = 30) -> tuple[list[bytes], int]:
    """Read server frames (unmasked) until a close frame: the text payloads and the close code."""
    sock.settimeout(timeout)
    buffer = b""

    def take(n: int) -> bytes:
        nonlocal buffer
        while len(buffer) < n:
            chunk = sock.recv(1 << 16)
            if not chunk:
                raise AssertionError("the server closed the TCP connection without a close frame")
            buffer += chunk
        data, buffer = buffer[:n], buffer[n:]
        return data

    texts = []
    while True:
        first, second = take(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", take(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", take(8))[0]
        payload = take(length)
        if first & 0x0F == 0x8:
            return texts, struct.unpack("!H", payload[:2])[0]
        texts.append(payload)


def test_a_client_that_stops_reading_holds_up_no_one_and_is_closed(live_server_url, session_cookie):
    room = "slow-readers"
    alice = ChefFactory(user__username="alice-slow").user
    bob = ChefFactory(user__username="bob-slow").user
    stalled = stalled_socket(live_server_url, f"/ws/chat/{room}/", session_cookie(bob))
    reader = Client(live_server_url, room, session_cookie(alice))
    try:
        # Given 160 events of 64 KiB (10 MiB), more than every buffer between server and client
        for n in range(EVENTS):
            publish_raw(f"chat.{room}", encode({"type": f"notice-{n}", "text": "x" * 65536}))
        # Then the reading client gets every one of them, in order
        notices = []
        while len(notices) < EVENTS:
            event = reader.receive(timeout=10)
            if event["type"].startswith("notice-"):
                notices.append(event["type"])
        assert notices == [f"notice-{n}" for n in range(EVENTS)]
        # And the stalled client, once it reads again, finds part of them and then a close
        # frame with 1013 ("try again later"): it fell more than 1 MiB behind and was let go
        texts, code = read_frames_until_close(stalled)
        assert code == 1013
        assert 0 < sum(b'"type":"notice-' in text for text in texts) < EVENTS
        # While the reader stays connected and still gets new events
        publish_raw(f"chat.{room}", encode({"type": "notice-after"}))
        assert reader.receive("notice-after", timeout=10)
    finally:
        reader.close()
        stalled.close()
