"""Checks of each part Brigade runs on, for /healthz and operators."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from brigade.celery import app as celery_app
from core.redis_clients import REDIS_DOWN, async_client

CHECK_TIMEOUT = 2.0
WORKER_PING_TIMEOUT = 0.5
HEARTBEAT_KEY = "health:beat-heartbeat"
HEARTBEAT_MAX_AGE = 90.0


@dataclass
class PartState:
    ok: bool
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, **self.extra}


def _database_ping() -> PartState:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return PartState(ok=True, detail=connection.vendor)


async def check_database() -> PartState:
    return await sync_to_async(_database_ping, thread_sensitive=True)()


async def check_redis() -> PartState:
    client = aioredis.from_url(settings.REDIS_URL, socket_timeout=CHECK_TIMEOUT)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return PartState(ok=True)


async def check_channel_layer() -> PartState:
    layer = get_channel_layer()
    channel = await layer.new_channel("health.")
    await layer.send(channel, {"type": "health.ping"})
    message = await layer.receive(channel)
    return PartState(ok=message.get("type") == "health.ping")


def _ping_workers() -> PartState:
    # A connection of its own each time: a pooled one may have died with a Redis restart.
    with celery_app.connection_for_write() as connection:
        replies = celery_app.control.ping(timeout=WORKER_PING_TIMEOUT, connection=connection) or []
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        return PartState(ok=False, detail="no Celery worker answered a ping")
    return PartState(ok=True, detail=f"{len(workers)} worker(s)", extra={"workers": workers})


async def check_celery_workers() -> PartState:
    return await asyncio.to_thread(_ping_workers)


# The newest heartbeat this process has read: a Redis that restarts empty loses the key, and beat
# writes the next one only up to 30 s later.
_heartbeat_seen = 0.0


async def check_beat() -> PartState:
    global _heartbeat_seen
    last = await cache.aget(HEARTBEAT_KEY)
    if last is None:
        uptime = await _redis_uptime()
        seen_age = time.time() - _heartbeat_seen
        if uptime is not None and uptime < seen_age < HEARTBEAT_MAX_AGE:
            return PartState(ok=True, detail=f"last heartbeat {seen_age:.0f}s ago, before Redis restarted")
        return PartState(ok=False, detail="no heartbeat from Celery beat yet")
    _heartbeat_seen = max(_heartbeat_seen, float(last))
    age = time.time() - float(last)
    seen = datetime.fromtimestamp(float(last), tz=UTC).isoformat()
    return PartState(
        ok=age <= HEARTBEAT_MAX_AGE,
        detail=f"last heartbeat {age:.0f}s ago",
        extra={"last_seen": seen},
    )


async def _redis_uptime() -> float | None:
    try:
        info = await async_client().info("server")
    except REDIS_DOWN:
        return None
    return float(info.get("uptime_in_seconds", 0))


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "channel_layer": check_channel_layer,
    "celery_workers": check_celery_workers,
    "celery_beat": check_beat,
}


async def _guarded(check: Callable[[], Awaitable[PartState]]) -> PartState:
    try:
        return await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT)
    except TimeoutError:
        return PartState(ok=False, detail=f"no answer within {CHECK_TIMEOUT:.0f}s")
    except Exception as exc:
        return PartState(ok=False, detail=f"{type(exc).__name__}: {exc}"[:300])


async def system_health() -> dict[str, Any]:
    """Run every check concurrently; the overall state is ok only when every part is."""
    names = list(CHECKS)
    states = await asyncio.gather(*(_guarded(CHECKS[name]) for name in names))
    parts = {
        name: {"label": name.replace("_", " ").capitalize(), **state.as_dict()}
        for name, state in zip(names, states, strict=True)
    }
    failing = [name for name, state in zip(names, states, strict=True) if not state.ok]
    return {"status": "ok" if not failing else "fail", "failing": failing, "parts": parts}


def record_beat_heartbeat() -> None:
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)
