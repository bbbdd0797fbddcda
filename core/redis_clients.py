"""Redis in one place: the clients, the key names, and the one-per-event-loop registry.

Every Redis key and pub/sub channel Brigade writes starts with `settings.REDIS_KEY_PREFIX`
(`key()`), so a deployment, a test worker or a developer's `make run` on a shared Redis never
sees another's data. Sync code shares one thread-safe client per process (`sync_client()`);
async code gets one client per event loop (`async_client()`), because a redis-py asyncio
connection belongs to the loop that opened it. `LoopLocal` is that registry, for anything
else that must live once per loop (the hub, pooled HTTP clients, per-loop state).

Both clients recover from a Redis restart on their own: a command that finds its pooled
connection dead is retried on a new one (redis-py's `Retry`, exponential backoff), and idle
connections are health-checked before use, so the first requests after Redis is back succeed
instead of failing with "Connection closed by server".
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from functools import cache
from typing import Generic, TypeVar

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

T = TypeVar("T")

ASYNC_POOL_SIZE = 64
# A dead pooled connection is retried this many times (0.05, 0.1, 0.2 s apart): enough to ride
# over a connection reset, short enough that a request fails fast while Redis is really down.
RETRIES = 3
HEALTH_CHECK_SECONDS = 5
_RETRY_ON = (RedisConnectionError, RedisTimeoutError, ConnectionResetError, OSError)
# What a call raises while Redis is unreachable (after the retries): callers that can do without
# Redis catch exactly this.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


def key(*parts: object) -> str:
    """A Redis key or channel name under this deployment's prefix: key("rl", "chat", 7)."""
    return ":".join((settings.REDIS_KEY_PREFIX, *map(str, parts)))


def connection_options(*, for_asyncio: bool) -> dict[str, object]:
    """Options for every Redis connection pool (ours, Django's cache, the channel layer)."""
    backoff = ExponentialBackoff(cap=0.5, base=0.05)
    retry = (
        # redis.asyncio's Retry is annotated for RedisError subclasses only; it just runs isinstance().
        AsyncRetry(backoff, RETRIES, supported_errors=_RETRY_ON)  # type: ignore[arg-type]
        if for_asyncio
        else Retry(backoff, RETRIES, supported_errors=_RETRY_ON)
    )
    return {"retry": retry, "health_check_interval": HEALTH_CHECK_SECONDS, "socket_connect_timeout": 2}


@cache
def sync_client() -> redis.Redis:
    """This process's blocking client (thread-safe pool)."""
    return redis.Redis.from_url(settings.REDIS_URL, **connection_options(for_asyncio=False))


def new_async_client(url: str | None = None) -> aioredis.Redis:
    """A client for the running loop whose pool waits for a free connection under load.

    redis-py's default async pool raises "Too many connections" past 100 concurrent commands;
    a burst of requests should queue for a few milliseconds instead.
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url or settings.REDIS_URL,
        max_connections=ASYNC_POOL_SIZE,
        timeout=5,
        **connection_options(for_asyncio=True),
    )
    return aioredis.Redis(connection_pool=pool)


class LoopLocal(Generic[T]):
    """One value per running event loop, made on first use and forgotten with its loop."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        value = self._values.get(loop)
        if value is None:
            value = self._values[loop] = self._factory()
        return value

    def pop(self) -> T | None:
        """Forget the running loop's value (the caller closes it)."""
        return self._values.pop(asyncio.get_running_loop(), None)

    def replace(self, value: T) -> T:
        self._values[asyncio.get_running_loop()] = value
        return value


_async_clients: LoopLocal[dict[str, aioredis.Redis]] = LoopLocal(dict)


def async_client(url: str | None = None) -> aioredis.Redis:
    """The running loop's shared client for `url` (default: REDIS_URL)."""
    url = url or settings.REDIS_URL
    clients = _async_clients.get()
    client = clients.get(url)
    if client is None:
        client = clients[url] = new_async_client(url)
    return client
