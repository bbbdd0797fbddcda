"""The realtime hub against a Redis that dies and comes back (a private redis-server, killed for real)."""

from __future__ import annotations

import asyncio

import pytest
import redis

from core.realtime.hub import RESYNC_FRAME, STALE_FRAME, Hub, _channel
from tests.helpers import PrivateRedis, wait_for


def publish(server: PrivateRedis, topic: str, frame: str) -> int:
    return redis.Redis(port=server.port).publish(_channel(topic), frame)


@pytest.fixture
def private_redis(tmp_path, settings):
    server = PrivateRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    yield server
    server.kill()


async def next_frame(frames: asyncio.Queue, timeout: float = 20) -> str:
    return await asyncio.wait_for(frames.get(), timeout)


async def test_members_hear_stale_then_resync_and_delivery_resumes(private_redis):
    # Given a hub with a socket-like member (default hooks) and one with hooks of its own
    hub = Hub()
    frames: asyncio.Queue[str] = asyncio.Queue()
    hooks: list[str] = []

    async def deliver(frame: str) -> None:
        frames.put_nowait(frame)

    async def on_resync() -> None:
        hooks.append("resync")

    async def on_stale() -> None:
        hooks.append("stale")

    async def ignore(frame: str) -> None:
        return None

    await hub.join("room", "socket", deliver)
    await hub.join("room", "cache", ignore, on_resync=on_resync, on_stale=on_stale)
    await asyncio.to_thread(wait_for, lambda: publish(private_redis, "room", "hello") == 1, timeout=10, what="sub")
    assert await next_frame(frames) == "hello"

    # When Redis dies
    private_redis.kill()

    # Then members are told they are not live, and the hub says it is not healthy
    assert await next_frame(frames) == STALE_FRAME
    assert hooks == ["stale"]
    assert not hub.healthy

    # When Redis comes back (several seconds later, empty)
    await asyncio.sleep(2)
    await asyncio.to_thread(private_redis.start)

    # Then members are told to catch up, and live delivery resumes
    assert await next_frame(frames) == RESYNC_FRAME
    assert hooks == ["stale", "resync"]
    assert hub.healthy
    assert hub.recoveries == 1
    await asyncio.to_thread(wait_for, lambda: publish(private_redis, "room", "again") == 1, timeout=10, what="sub")
    assert await next_frame(frames) == "again"
    await hub.leave("room", "socket")
    await hub.leave("room", "cache")


async def test_a_join_that_cannot_subscribe_leaves_no_member_behind(private_redis):
    hub = Hub()
    private_redis.kill()

    async def deliver(frame: str) -> None:
        return None

    with pytest.raises((redis.ConnectionError, OSError)):
        await hub.join("room", "socket", deliver)
    assert hub._members == {}


async def test_the_cache_is_a_miss_not_an_error_while_redis_is_away(private_redis):
    from core.fastpath.cache import RedisCache
    from core.redis_clients import connection_options

    cache = RedisCache(private_redis.url, {"OPTIONS": connection_options(for_asyncio=False)})
    await cache.aset("k", "v")
    assert await cache.aget("k") == "v"
    private_redis.kill()
    assert await cache.aget("k", "default") == "default"
    await cache.aset("k", "w")  # skipped, not raised
    assert await asyncio.to_thread(cache.get, "k", "default") == "default"
    await asyncio.to_thread(cache.set, "k", "w")
    await asyncio.to_thread(private_redis.start)
    await cache.aset("k", "x")
    assert await cache.aget("k") == "x"


async def test_the_reader_stops_when_cancelled_even_if_a_library_swallows_the_cancellation(private_redis):
    # Given a hub whose pub/sub read turns a cancellation into "no message" (as redis-py's read
    # timeout can on Python 3.11)
    hub = Hub()

    async def deliver(frame: str) -> None:
        return None

    await hub.join("room", "socket", deliver)
    pubsub = hub._subscription()
    real_get_message = pubsub.get_message

    async def swallowing_get_message(**kwargs):
        try:
            return await real_get_message(**kwargs)
        except asyncio.CancelledError:
            return None

    pubsub.get_message = swallowing_get_message
    await asyncio.sleep(0.1)  # the reader is now waiting in it

    # When the reader is cancelled (as a closing event loop does)
    reader = hub._reader
    reader.cancel()

    # Then it stops instead of reading on forever
    await asyncio.wait({reader}, timeout=10)
    assert reader.cancelled()
