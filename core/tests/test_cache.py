"""The Redis cache's native async methods share entries and semantics with the sync ones."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.fastpath


async def test_async_and_sync_sides_share_entries():
    await cache.aset("shared", {"a": 1, "b": [1, 2]}, 60)
    assert cache.get("shared") == {"a": 1, "b": [1, 2]}
    cache.set("other", 42, 60)
    assert await cache.aget("other") == 42
    assert await cache.aget("missing", "default") == "default"


async def test_add_touch_delete_and_zero_timeout():
    await cache.adelete("k")
    assert await cache.aadd("k", "first", 60) is True
    assert await cache.aadd("k", "second", 60) is False
    assert await cache.aget("k") == "first"
    assert await cache.ahas_key("k") is True
    assert await cache.atouch("k", None) is True
    assert cache._cache.get_client().ttl(cache.make_key("k")) == -1  # persistent now
    assert await cache.adelete("k") is True
    assert await cache.adelete("k") is False
    assert await cache.atouch("k", 10) is False
    await cache.aset("zero", "gone", 0)  # Django: a zero timeout deletes
    assert await cache.aget("zero") is None
    assert await cache.aadd("zero", "x", 0) is True
    assert await cache.ahas_key("zero") is False


async def test_async_methods_do_not_use_a_thread(monkeypatch):
    from asgiref import sync

    def refuse(*args, **kwargs):
        raise AssertionError("sync_to_async was called")

    monkeypatch.setattr(sync.SyncToAsync, "__call__", refuse)
    await cache.aset("t", 1, 60)
    assert await cache.aget("t") == 1
    assert threading.current_thread() is threading.main_thread()
