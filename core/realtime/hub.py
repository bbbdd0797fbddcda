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
import random
from collections.abc import Awaitable, Callable
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.db import transaction
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff

from core.redis_clients import HEALTH_CHECK_SECONDS, LoopLocal, async_client, key, sync_client

logger = logging.getLogger(__name__)

Frame = str | bytes  # JSON text; binary topics (co-editing) carry bytes
Deliver = Callable[[Any], Awaitable[None]]
Hook = Callable[[], Awaitable[None]]

# A frame that tells clients "you may have missed events: fetch what is new".
RESYNC_FRAME = json.dumps({"type": "resync"})
# A frame that tells clients "live events cannot reach you now" (the hub lost Redis).
STALE_FRAME = json.dumps({"type": "stale"})
# Backoff between attempts to get the subscriptions back after a lost connection.
RECOVERY_FIRST_DELAY = 0.1
RECOVERY_MAX_DELAY = 2.0


def encode(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def _channel(topic: str) -> str:
    return key("rt", topic)


def publish_on_commit(topic: str, event: dict[str, Any]) -> None:
    publish_raw_on_commit(topic, encode(event))


def publish_raw_on_commit(topic: str, frame: Frame) -> None:
    transaction.on_commit(lambda: publish_raw(topic, frame), robust=True)


def publish_raw(topic: str, frame: Frame) -> None:
    sync_client().publish(_channel(topic), frame)


def publish_many(frames: list[tuple[str, Frame]]) -> None:
    """Publish many (topic, frame) pairs in one round trip (a batch job's events)."""
    if not frames:
        return
    with sync_client().pipeline(transaction=False) as pipe:
        for topic, frame in frames:
            pipe.publish(_channel(topic), frame)
        pipe.execute()


async def apublish(topic: str, event: dict[str, Any]) -> None:
    await apublish_raw(topic, encode(event))


async def apublish_raw(topic: str, frame: Frame) -> None:
    await hub().client.publish(_channel(topic), frame)


class Hub:
    """Per-process registry of local sockets by topic, fed by one Redis pub/sub connection.

    When that connection is lost, every member is told at once that it is not live (its
    `on_stale` hook: JSON sockets get {"type": "stale"}), and the hub retries with backoff, for
    as long as it takes, until its subscriptions are back. Events published meanwhile are lost,
    so then every member's `on_resync` hook runs (JSON sockets get {"type": "resync"} and fetch
    what is new; a near cache forgets everything; a binary socket re-syncs from stored state).
    """

    def __init__(self) -> None:
        self.client = async_client()
        # Its own connection, without redis-py's retries: a pub/sub connection that reconnects on
        # its own would hide the gap, and members must hear of it to catch up.
        self._pubsub_client = aioredis.Redis.from_url(
            settings.REDIS_URL,
            retry=AsyncRetry(NoBackoff(), 0),
            health_check_interval=HEALTH_CHECK_SECONDS,
            socket_connect_timeout=2,
        )
        self._members: dict[str, dict[object, Deliver]] = {}
        self._hooks: dict[tuple[str, object], tuple[Hook | None, Hook | None]] = {}
        self._binary: set[str] = set()  # topics whose frames are delivered as bytes
        self._pubsub: aioredis.client.PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._has_topics = asyncio.Event()
        # False from a lost Redis connection until the subscriptions are restored.
        self.healthy = True
        self.recoveries = 0  # how many times the connection was lost and restored (for tests and logs)

    async def join(
        self,
        topic: str,
        member: object,
        deliver: Deliver,
        *,
        on_resync: Hook | None = None,
        on_stale: Hook | None = None,
        binary: bool = False,
    ) -> None:
        """Deliver the topic's frames to `member` (as bytes if `binary`, else as text); the hooks
        default to sending resync and stale frames."""
        async with self._lock:
            if binary:
                self._binary.add(topic)
            members = self._members.setdefault(topic, {})
            members[member] = deliver
            if on_resync is not None or on_stale is not None:
                self._hooks[(topic, member)] = (on_resync, on_stale)
            if len(members) == 1:
                try:
                    self._ensure_reader()
                    await self._subscription().subscribe(_channel(topic))
                except BaseException:
                    self._forget(topic, member)
                    raise
                self._has_topics.set()

    async def leave(self, topic: str, member: object) -> None:
        async with self._lock:
            if not self._forget(topic, member) or topic in self._members:
                return
            if self._pubsub is not None:
                with contextlib.suppress(redis.RedisError, OSError):
                    await self._pubsub.unsubscribe(_channel(topic))

    def _forget(self, topic: str, member: object) -> bool:
        members = self._members.get(topic)
        if not members or members.pop(member, None) is None:
            return False
        self._hooks.pop((topic, member), None)
        if not members:
            del self._members[topic]
            self._binary.discard(topic)
            if not self._members:
                self._has_topics.clear()
        return True

    def _subscription(self) -> aioredis.client.PubSub:
        if self._pubsub is None:
            self._pubsub = self._pubsub_client.pubsub(ignore_subscribe_messages=True)
        return self._pubsub

    def _ensure_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="realtime-hub-reader")

    async def _read(self) -> None:
        prefix_len = len(_channel(""))
        me = asyncio.current_task()
        while True:
            # A library may swallow the CancelledError thrown into one of our awaits (redis-py
            # turns a cancellation that races its read timeout into "no message"); the task's
            # cancel request still counts, so look at it on every turn, or closing the event loop
            # waits on this task forever.
            if me is not None and me.cancelling():
                raise asyncio.CancelledError
            pubsub = self._subscription()
            try:
                if not self._members or not pubsub.subscribed:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation,
                    # and this task is cancelled when its event loop closes.
                    async with asyncio.timeout(1.0):
                        await self._has_topics.wait()
                    if not pubsub.subscribed:
                        await asyncio.sleep(0.01)  # subscribed a moment ago: confirmation pending
                    continue
                message = await pubsub.get_message(timeout=1.0)
            except (TimeoutError, redis.ConnectionError, redis.TimeoutError, OSError) as error:
                if me is not None and me.cancelling():  # a cancellation seen as a timeout (above)
                    raise asyncio.CancelledError from None
                if isinstance(error, TimeoutError):
                    continue
                logger.warning("realtime hub lost Redis (%s); resubscribing until it is back", error)
                await self._recover()
                continue
            if message is None or message["type"] != "message":
                continue
            topic = message["channel"].decode()[prefix_len:]
            data: bytes = message["data"]
            await self._fan_out(topic, data if topic in self._binary else data.decode())

    async def _fan_out(self, topic: str, frame: Frame) -> None:
        for deliver in list(self._members.get(topic, {}).values()):
            try:
                await deliver(frame)
            except Exception:  # one broken socket must not stop the others
                logger.debug("delivery to a socket failed", exc_info=True)

    async def _recover(self) -> None:
        """Tell members they are not live, resubscribe with backoff until it works, then resync them."""
        self.healthy = False
        await self._notify(STALE_FRAME, hook=1)
        delay = RECOVERY_FIRST_DELAY
        attempts = 0
        me = asyncio.current_task()
        while True:
            if me is not None and me.cancelling():  # see _read: a library may swallow the CancelledError
                raise asyncio.CancelledError
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 (jitter, not security)
            delay = min(delay * 2, RECOVERY_MAX_DELAY)
            attempts += 1
            try:
                async with self._lock:
                    await self._resubscribe()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
                if me is not None and me.cancelling():  # see _read: a cancel seen as a timeout
                    raise asyncio.CancelledError from None
                if attempts % 10 == 0:
                    logger.warning("realtime hub still cannot reach Redis after %d tries: %s", attempts, error)
                continue
            break
        self.healthy = True
        self.recoveries += 1
        logger.warning("realtime hub is back on Redis after %d tries; members resync", attempts)
        await self._notify(RESYNC_FRAME, hook=0)

    async def _resubscribe(self) -> None:
        """A new pub/sub connection subscribed to every topic with local members (raises if Redis is away)."""
        old, self._pubsub = self._pubsub, None
        if old is not None:
            with contextlib.suppress(Exception):
                await old.aclose()  # type: ignore[no-untyped-call]  # unannotated in redis-py
        await self._pubsub_client.ping()
        if self._members:
            await self._subscription().subscribe(*(_channel(topic) for topic in self._members))

    async def _notify(self, frame: str, *, hook: int) -> None:
        for topic, members in list(self._members.items()):
            for member, deliver in list(members.items()):
                custom = self._hooks.get((topic, member))
                action = custom[hook] if custom is not None else None
                try:
                    await (action() if action is not None else deliver(frame))
                except Exception:
                    logger.debug("a member's %s hook failed", "resync" if hook == 0 else "stale", exc_info=True)


_hubs: LoopLocal[Hub] = LoopLocal(Hub)


def hub() -> Hub:
    """This event loop's hub."""
    return _hubs.get()
