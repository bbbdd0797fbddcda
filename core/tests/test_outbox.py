"""A socket that stops reading: its frames queue (bounded) and the other sockets are not held up."""

from __future__ import annotations

import asyncio

import pytest

from core.realtime.hub import hub
from core.realtime.outbox import SocketOutbox


class StalledSocket:
    """An ASGI send that waits, as uvicorn's does while the client is not reading."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.reading = asyncio.Event()

    async def send(self, message: dict) -> None:
        await self.reading.wait()
        self.sent.append(message["text"])


async def test_frames_wait_in_order_for_a_slow_socket_without_holding_up_the_sender():
    socket, overflows = StalledSocket(), []
    outbox = SocketOutbox(socket.send, on_overflow=lambda: overflows.append(1), max_bytes=1000)
    for n in range(5):
        await asyncio.wait_for(outbox.deliver(f"frame-{n}"), 0.1)  # never waits for the socket
    assert socket.sent == []
    socket.reading.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert socket.sent == [f"frame-{n}" for n in range(5)]
    assert outbox.queued_bytes == 0
    assert overflows == []
    outbox.close()


async def test_a_socket_that_falls_too_far_behind_is_dropped_once():
    socket, overflows = StalledSocket(), []
    outbox = SocketOutbox(socket.send, on_overflow=lambda: overflows.append(1), max_bytes=100)
    for _ in range(50):
        await outbox.deliver("x" * 30)
    assert overflows == [1]
    assert outbox.closed
    assert outbox.queued_bytes == 0  # what was queued is let go
    socket.reading.set()
    await asyncio.sleep(0.01)
    assert len(socket.sent) <= 1  # at most the frame that was already being written


@pytest.mark.django_db
async def test_the_hub_keeps_delivering_to_other_sockets_while_one_is_stalled():
    stalled, reader = StalledSocket(), StalledSocket()
    reader.reading.set()
    boxes = [SocketOutbox(s.send, on_overflow=lambda: None) for s in (stalled, reader)]
    topic = "test-outbox-stall"
    for n, box in enumerate(boxes):
        await hub().join(topic, f"member-{n}", box.deliver)
    try:
        for n in range(100):
            await asyncio.wait_for(hub()._fan_out(topic, f"event-{n}"), 0.5)
        await asyncio.sleep(0.05)
        assert reader.sent == [f"event-{n}" for n in range(100)]
        assert stalled.sent == []
    finally:
        for n, box in enumerate(boxes):
            await hub().leave(topic, f"member-{n}")
            box.close()
