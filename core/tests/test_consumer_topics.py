"""The base consumer on several topics at once: one outbox, one stale/resync, every topic left on close."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from core.realtime.consumers import JsonSocketConsumer
from core.realtime.hub import RESYNC_FRAME, STALE_FRAME, apublish, hub

# Channels closes stale database connections around a consumer's life, which counts as database access.
pytestmark = pytest.mark.django_db

TOPICS = ("test-topics.a", "test-topics.b")


class TwoTopics(JsonSocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        for topic in TOPICS:
            await self.topic_join(topic)
        await self.topic_join(TOPICS[0])  # joining twice is a no-op
        await self.send_json({"type": "joined"})

    async def disconnect(self, code: int) -> None:
        await self.topic_leave()


@pytest.fixture
async def socket():
    communicator = WebsocketCommunicator(TwoTopics.as_asgi(), "/ws/test/")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "joined"
    yield communicator
    await communicator.disconnect()


async def test_events_of_every_joined_topic_arrive(socket):
    # When events are published on both topics
    await apublish(TOPICS[1], {"type": "event", "n": 1})
    await apublish(TOPICS[0], {"type": "event", "n": 2})

    # Then the socket gets both, once each
    received = [await socket.receive_json_from(timeout=5) for _ in range(2)]
    assert sorted(event["n"] for event in received) == [1, 2]
    assert await socket.receive_nothing(timeout=0.3)


async def test_a_lost_redis_is_told_once_not_once_per_topic(socket):
    # When the hub tells its members Redis was lost and is back (what _recover does)
    await hub()._notify(STALE_FRAME, hook=1)
    await hub()._notify(RESYNC_FRAME, hook=0)

    # Then the socket hears "stale" and "resync" once each
    assert (await socket.receive_json_from(timeout=5))["type"] == "stale"
    assert (await socket.receive_json_from(timeout=5))["type"] == "resync"
    assert await socket.receive_nothing(timeout=0.3)


async def test_closing_leaves_every_topic():
    communicator = WebsocketCommunicator(TwoTopics.as_asgi(), "/ws/test/")
    await communicator.connect(timeout=5)
    await communicator.receive_json_from(timeout=5)
    assert all(hub()._members.get(topic) for topic in TOPICS)

    await communicator.disconnect()

    assert not any(hub()._members.get(topic) for topic in TOPICS)
