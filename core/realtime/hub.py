"""Room fan-out: one Redis pub/sub subscription per topic per process, one encoded frame per event.

Publishers (services, tasks, consumers) encode an event once and publish it to a topic. Each
server process keeps one subscription per topic that has local sockets, and hands the same
frame to every local member: no per-member Redis round trip, no per-member re-encoding. A
member's Deliver must not wait on its client: sockets queue frames in their outbox
(core/realtime/outbox.py). Events leave only after the database transaction that produced them commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis
import redis.asyncio as aioredis
from django.db import transaction

from core.redis_clients import LoopLocal, key, new_async_client, sync_client

logger = logging.getLogger(__name__)

Deliver = Callable[[str], Awaitable[None]]

# A frame that tells clients "you may have missed events: fetch what is new".
RESYNC_FRAME = json.dumps({"type": "resync"})


def encode(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def _channel(topic: str) -> str:
    return key("rt", topic)


def publish_on_commit(topic: str, event: dict[str, Any]) -> None:
    publish_raw_on_commit(topic, encode(event))


def publish_raw_on_commit(topic: str, frame: str) -> None:
    transaction.on_commit(lambda: publish_raw(topic, frame), robust=True)


def publish_raw(topic: str, frame: str) -> None:
    sync_client().publish(_channel(topic), frame)


async def apublish(topic: str, event: dict[str, Any]) -> None:
    await apublish_raw(topic, encode(event))


async def apublish_raw(topic: str, frame: str) -> None:
    await hub().client.publish(_channel(topic), frame)


class Hub:
    """Per-process registry of local sockets by topic, fed by one Redis pub/sub connection."""

    def __init__(self) -> None:
        self.client = new_async_client()
        self._members: dict[str, dict[object, Deliver]] = {}
        self._pubsub: aioredis.client.PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._has_topics = asyncio.Event()
        # False from a lost Redis connection until the subscriptions are restored.
        self.healthy = True

    async def join(self, topic: str, member: object, deliver: Deliver) -> None:
        async with self._lock:
            members = self._members.setdefault(topic, {})
            members[member] = deliver
            if len(members) == 1:
                await self._ensure_pubsub()
                assert self._pubsub is not None  # for mypy: _ensure_pubsub set it
                await self._pubsub.subscribe(_channel(topic))
                self._has_topics.set()

    async def leave(self, topic: str, member: object) -> None:
        async with self._lock:
            members = self._members.get(topic)
            if not members or members.pop(member, None) is None:
                return
            if not members:
                del self._members[topic]
                if not self._members:
                    self._has_topics.clear()
                if self._pubsub is not None:
                    with contextlib.suppress(redis.RedisError, OSError):
                        await self._pubsub.unsubscribe(_channel(topic))

    async def _ensure_pubsub(self) -> None:
        if self._pubsub is None:
            self._pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="realtime-hub-reader")

    async def _read(self) -> None:
        prefix_len = len(_channel(""))
        while True:
            assert self._pubsub is not None  # for mypy: set before this reader starts
            try:
                if not self._members or not self._pubsub.subscribed:
                    await asyncio.wait_for(self._has_topics.wait(), timeout=1.0)
                    if not self._pubsub.subscribed:
                        await asyncio.sleep(0.01)  # subscribed a moment ago: confirmation pending
                    continue
                message = await self._pubsub.get_message(timeout=1.0)
            except TimeoutError:
                continue
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                logger.warning("realtime hub lost Redis; resubscribing")
                self.healthy = False
                await self._resubscribe()
                continue
            if message is None or message["type"] != "message":
                continue
            topic = message["channel"].decode()[prefix_len:]
            frame = message["data"].decode()
            await self._fan_out(topic, frame)

    async def _fan_out(self, topic: str, frame: str) -> None:
        for deliver in list(self._members.get(topic, {}).values()):
            try:
                await deliver(frame)
            except Exception:  # one broken socket must not stop the others
                logger.debug("delivery to a socket failed", exc_info=True)

    async def _resubscribe(self) -> None:
        await asyncio.sleep(0.5)
        async with self._lock:
            assert self._pubsub is not None  # for mypy: only the reader resubscribes
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]  # unannotated in redis-py
            self._pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                if self._members:
                    await self._pubsub.subscribe(*(_channel(t) for t in self._members))
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                return
        self.healthy = True
        # Events published while we were away are lost here: tell clients to catch up.
        for topic in list(self._members):
            await self._fan_out(topic, RESYNC_FRAME)


_hubs: LoopLocal[Hub] = LoopLocal(Hub)


def hub() -> Hub:
    """This event loop's hub."""
    return _hubs.get()
