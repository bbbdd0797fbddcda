"""Django's Redis cache backend with native async methods.

Django's built-in backend implements `aget`, `aset` and the rest by running the sync method in
a thread (`sync_to_async`). On an async request that hop costs more than the Redis round trip,
and inside Django's per-request `ThreadSensitiveContext` the first hop starts a new thread.
This subclass runs the common async methods on `redis.asyncio`, one connection pool per event
loop, with the same keys and the same serializer as the sync methods, so both sides share entries.
Django also makes a new cache object (and so a new connection pool) per request context; here
every cache object with the same settings shares the same pools.

While Redis is unreachable the cache degrades instead of failing the request: a read is a miss,
a write is skipped, and both are logged (as django-redis' IGNORE_EXCEPTIONS does). Everything
Brigade caches can be rebuilt from the database, so pages that need only the database still
render while Redis restarts.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

from core.redis_clients import REDIS_DOWN, async_client

logger = logging.getLogger(__name__)

_sync_clients: dict[tuple[tuple[str, ...], str], RedisCacheClient] = {}
_sync_clients_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
    # Set by Django's RedisCache.__init__; django-stubs declare none of the private names used here
    # (nor RedisCacheClient._serializer, hence the ignores below).
    _servers: list[str]
    _options: dict[str, Any]
    _class: type[RedisCacheClient]

    if TYPE_CHECKING:  # Django's RedisCache rounds to whole seconds; the stubs say float

        def get_backend_timeout(self, timeout: float | None = ...) -> int | None: ...

    @cached_property
    def _cache(self) -> RedisCacheClient:
        """The sync client (thread-safe connection pools) is shared by every cache object alike."""
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _sync_clients_lock:
            if key not in _sync_clients:
                _sync_clients[key] = self._class(self._servers, **self._options)
            return _sync_clients[key]

    def _aclient(self) -> aioredis.Redis:
        """Writes and reads go to the first server, as the sync client does with one server.

        Django makes a cache object per thread and per async context (so per request): the
        clients live at module level, one per event loop and server, or every request would
        open a new connection.
        """
        return async_client(self._servers[0])

    async def aget(self, key: Any, default: Any | None = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        try:
            value = await self._aclient().get(key)
        except REDIS_DOWN as error:
            _log_down("get", error)
            return default
        return default if value is None else self._cache._serializer.loads(value)  # type: ignore[attr-defined]

    async def aset(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (Django's signature)
        version: int | None = None,
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        try:
            if timeout == 0:
                await self._aclient().delete(key)
            else:
                await self._aclient().set(key, self._cache._serializer.dumps(value), ex=timeout)  # type: ignore[attr-defined]
        except REDIS_DOWN as error:
            _log_down("set", error)

    async def aadd(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (Django's signature)
        version: int | None = None,
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        client, value = self._aclient(), self._cache._serializer.dumps(value)  # type: ignore[attr-defined]
        if timeout == 0:  # as the sync add: "added" if absent, but nothing is kept
            if added := bool(await client.set(key, value, nx=True)):
                await client.delete(key)
            return added
        return bool(await client.set(key, value, ex=timeout, nx=True))

    async def adelete(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        try:
            return bool(await self._aclient().delete(key))
        except REDIS_DOWN as error:
            _log_down("delete", error)
            return False

    async def atouch(
        self,
        key: Any,
        timeout: float | None = DEFAULT_TIMEOUT,  # noqa: ASYNC109 (Django's signature)
        version: int | None = None,
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        if timeout is None:
            return bool(await self._aclient().persist(key))
        return bool(await self._aclient().expire(key, timeout))

    async def ahas_key(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(await self._aclient().exists(key))

    # -- while Redis is away: a miss, not an error --------------------------------------------

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except REDIS_DOWN as error:
            _log_down("get", error)
            return default

    def set(self, key: Any, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except REDIS_DOWN as error:
            _log_down("set", error)

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except REDIS_DOWN as error:
            _log_down("delete", error)
            return False


_last_logged = 0.0


def _log_down(operation: str, error: Exception) -> None:
    """One line every 10 s at most: every request would log otherwise."""
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= 10:
        _last_logged = now
        logger.warning("cache %s skipped (and others like it), Redis is unreachable: %s", operation, error)
