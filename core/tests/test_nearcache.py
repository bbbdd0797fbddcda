"""Per-process copies: kept while valid, dropped by any process's message, never outliving a change."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from core.fastpath.nearcache import NearCache
from core.realtime.hub import RESYNC_FRAME, hub, publish_raw

_names = itertools.count()


class Source:
    """A value and a count of loads, standing in for Redis or the database."""

    def __init__(self, value) -> None:
        self.value = value
        self.loads = 0

    async def load(self):
        self.loads += 1
        return self.value


@pytest.fixture
async def near():
    cache = NearCache(f"test-{next(_names)}", max_age=60)
    await cache.get("warm-up", Source(None).load)  # starts the subscription
    for _ in range(200):
        if cache._states.get().live:
            break
        await asyncio.sleep(0.01)
    yield cache
    await hub().leave(cache.topic, cache)


async def eventually(predicate) -> None:
    for _ in range(300):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met within 3 s")


async def test_a_value_is_loaded_once_and_each_caller_gets_a_copy(near):
    source = Source({"user": "1", "items": [1]})
    first = await near.get("k", source.load)
    first["items"].append(2)  # a caller changing its copy changes nobody else's
    assert await near.get("k", source.load) == {"user": "1", "items": [1]}
    assert source.loads == 1


async def test_none_is_never_kept(near):
    source = Source(None)
    await near.get("missing", source.load)
    await near.get("missing", source.load)
    assert source.loads == 2


async def test_a_message_from_any_process_drops_the_copy(near):
    source = Source("old")
    assert await near.get("k", source.load) == "old"
    source.value = "new"
    publish_raw(near.topic, "k")  # what another process's invalidate() sends
    await eventually(lambda: "k" not in near._states.get().values)
    assert await near.get("k", source.load) == "new"
    near.invalidate("unrelated")
    await asyncio.sleep(0.05)
    assert await near.get("k", source.load) == "new"
    assert source.loads == 2


async def test_a_load_that_overlaps_an_invalidation_is_not_kept(near):
    state = near._states.get()

    async def slow_load():
        value = "read before the change"
        await near.ainvalidate("k")
        await eventually(lambda: state.generation > generation)
        return value

    generation = state.generation
    assert await near.get("k", slow_load) == "read before the change"
    assert "k" not in state.values


async def test_copies_expire_after_max_age():
    near = NearCache(f"test-{next(_names)}", max_age=0.05)
    source = Source("v")
    await near.get("k", source.load)
    await eventually(lambda: near._states.get().live)
    await near.get("k", source.load)
    await near.get("k", source.load)
    assert source.loads == 2  # one before the subscription was live, one kept
    await asyncio.sleep(0.1)
    await near.get("k", source.load)
    assert source.loads == 3
    await hub().leave(near.topic, near)


async def test_a_resync_forgets_everything_and_a_lost_connection_serves_no_copies(near):
    source = Source("v")
    await near.get("a", source.load)
    await near.get("b", source.load)
    hub().healthy = False
    try:
        await near.get("a", source.load)
        assert source.loads == 3
    finally:
        hub().healthy = True
    await hub()._notify(RESYNC_FRAME, hook=0)
    assert near._states.get().values == {}
