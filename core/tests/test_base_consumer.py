"""The base consumer's bounded inbox: frames handled in order, "slow down" once too many wait."""

from __future__ import annotations

import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from core.realtime.consumers import JsonSocketConsumer
from core.realtime.messages import MessageError


class GatedConsumer(JsonSocketConsumer):
    """Echoes each frame's `n`, but only once the test opens the gate: a stand-in for a busy server."""

    max_pending_frames = 3
    gate: asyncio.Event
    cancelled: list[int]

    async def connect(self) -> None:
        await self.accept()

    async def handle(self, payload: dict) -> None:
        if payload["type"] == "boom":
            raise RuntimeError("a bug in a handler")
        if payload["type"] != "work":
            await super().handle(payload)
            return
        await self.send_json({"type": "started", "n": payload["n"]})
        try:
            await type(self).gate.wait()
        except asyncio.CancelledError:
            type(self).cancelled.append(payload["n"])
            raise
        await self.send_json({"type": "done", "n": payload["n"]})


@pytest.fixture
async def socket():
    GatedConsumer.gate = asyncio.Event()
    GatedConsumer.cancelled = []
    communicator = WebsocketCommunicator(GatedConsumer.as_asgi(), "/ws/test/")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    yield communicator
    await communicator.disconnect()


async def work(socket: WebsocketCommunicator, n: int) -> None:
    await socket.send_json_to({"type": "work", "n": n, "client_id": f"c{n}"})


# Channels closes stale database connections around connect and disconnect.
@pytest.mark.django_db
class TestBoundedInbox:
    async def test_a_full_inbox_refuses_at_once_with_slow_down_and_keeps_the_order_of_the_rest(self, socket):
        # Given one frame being handled (the server is stuck on it)
        await work(socket, 1)
        assert await socket.receive_json_from(timeout=5) == {"type": "started", "n": 1}

        # When more frames arrive than the inbox holds
        for n in range(2, 7):
            await work(socket, n)

        # Then the ones beyond it are refused at once, each naming the frame it refuses
        refused = [await socket.receive_json_from(timeout=5) for _ in range(2)]
        assert [event["code"] for event in refused] == ["slow_down", "slow_down"]
        assert [event["client_id"] for event in refused] == ["c5", "c6"]
        assert await socket.receive_nothing(timeout=0.2)

        # And once the server catches up, the accepted ones are handled, in order
        GatedConsumer.gate.set()
        events = [await socket.receive_json_from(timeout=5) for _ in range(7)]
        assert events == [
            {"type": "done", "n": 1},
            {"type": "started", "n": 2},
            {"type": "done", "n": 2},
            {"type": "started", "n": 3},
            {"type": "done", "n": 3},
            {"type": "started", "n": 4},
            {"type": "done", "n": 4},
        ]

        # And a refused frame sent again is handled like any other
        await work(socket, 5)
        assert await socket.receive_json_from(timeout=5) == {"type": "started", "n": 5}
        assert await socket.receive_json_from(timeout=5) == {"type": "done", "n": 5}

    async def test_errors_name_the_frame_and_a_bad_frame_waits_its_turn(self, socket):
        await work(socket, 1)
        assert (await socket.receive_json_from(timeout=5))["type"] == "started"
        await socket.send_to(text_data="{not json")
        await socket.send_json_to({"type": "nope", "client_id": "x1"})
        await socket.send_json_to({"type": "boom", "client_id": "x2"})
        assert await socket.receive_nothing(timeout=0.2)  # all three wait behind frame 1

        GatedConsumer.gate.set()
        assert await socket.receive_json_from(timeout=5) == {"type": "done", "n": 1}
        errors = [await socket.receive_json_from(timeout=5) for _ in range(3)]
        assert [(e["code"], e.get("client_id")) for e in errors] == [
            ("invalid_json", None),
            ("unknown_type", "x1"),
            ("internal_error", "x2"),
        ]

    async def test_disconnecting_cancels_the_frame_in_hand_and_drops_the_waiting_ones(self, socket):
        await work(socket, 1)
        assert (await socket.receive_json_from(timeout=5))["type"] == "started"
        await work(socket, 2)

        await socket.disconnect()  # raises if the application failed

        assert GatedConsumer.cancelled == [1]
        GatedConsumer.gate.set()
        await asyncio.sleep(0)
        assert GatedConsumer.cancelled == [1]  # frame 2 was never started


def test_client_ids_are_echoed_only_when_they_are_short_strings():
    from core.realtime.consumers import client_id_of

    assert client_id_of({"client_id": "c1"}) == "c1"
    assert client_id_of({"client_id": 7}) is None
    assert client_id_of({"client_id": "x" * 65}) is None
    assert client_id_of(MessageError("invalid_json", "bad")) is None
