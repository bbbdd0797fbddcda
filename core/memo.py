"""Values computed once per data version, shared by every process through Redis.

A `VersionedMemo` has a data version: a counter in Redis that any write bumps (on commit).
While the version is unchanged, a value (a table, a list) comes from this process's memory;
on a new version the first request of each process reads Redis, and the first in the whole
deployment computes and stores it (concurrent first requests may compute twice; the result is
the same). Each process keeps the version itself in a near cache that a bump drops everywhere
at once (core/fastpath/nearcache.py), so a warm read costs no Redis round trip at all.

Every caller gets the same objects: they read them and never change them. Each value is kept
with its JSON text, so a JSON response can splice it in instead of encoding it again.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from django.core.serializers.json import DjangoJSONEncoder

from core.fastpath.nearcache import NearCache
from core.redis_clients import REDIS_DOWN, async_client, key, sync_client

CACHE_SECONDS = 600  # a safety net: the version changes on every relevant write


def encode(value: object) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder).encode()


class Memo(NamedTuple):
    version: int
    value: Any
    text: bytes  # the value as JSON, exactly as kept in Redis: spliced into responses as is
    derived: dict[str, Any]  # values made from this one in this process (rendered HTML): dropped with it

    def derive(self, name: str, make: Callable[[Any], Any]) -> Any:
        """make(value), once per entry: an entry is replaced, never changed, when the data changes."""
        if name not in self.derived:
            self.derived[name] = make(self.value)
        return self.derived[name]


def _unshared(text: bytes) -> Memo:
    """A value computed while Redis is unreachable: served once, kept nowhere."""
    return Memo(-1, json.loads(text), text, {})


class VersionedMemo:
    MAX_ENTRIES = 1024

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._values: dict[str, Memo] = {}
        self._near_version = NearCache(f"memo-{namespace}", copy_value=int)

    def bump(self) -> None:
        """A new data version, in every process: call it on commit of any write the values depend on."""
        sync_client().incr(self._version_key())
        self._near_version.invalidate("version")

    async def version(self) -> int | None:
        """The data version: read from Redis once, then kept until a bump is announced.

        None while Redis is unreachable: `entry` then computes afresh and keeps nothing.
        """

        async def load() -> int:
            return int(await async_client().get(self._version_key()) or 0)

        try:
            return int(await self._near_version.get("version", load))
        except REDIS_DOWN:
            return None

    async def get(self, name: str, version: int | None, compute: Callable[[], Awaitable[Any]]) -> Any:
        return (await self.entry(name, version, compute)).value

    async def entry(self, name: str, version: int | None, compute: Callable[[], Awaitable[Any]]) -> Memo:
        if version is None:  # Redis is unreachable: nothing can be shared or trusted
            return _unshared(encode(await compute()))
        memo = self._values.get(name)
        if memo is not None and memo.version == version:
            return memo
        client, entry_key = async_client(), self._key(name, version)
        try:
            text: bytes | str | None = await client.get(entry_key)
            if text is None:
                text = encode(await compute())
                await client.set(entry_key, text, ex=CACHE_SECONDS)
        except REDIS_DOWN:
            return _unshared(encode(await compute()))
        return self._keep(name, version, text)

    def version_sync(self) -> int:
        return int(sync_client().get(self._version_key()) or 0)

    def entry_sync(self, name: str, version: int, compute: Callable[[], Any]) -> Memo:
        """The same entries for sync callers, with blocking Redis calls."""
        memo = self._values.get(name)
        if memo is not None and memo.version == version:
            return memo
        client, entry_key = sync_client(), self._key(name, version)
        text = client.get(entry_key)
        if text is None:
            text = encode(compute())
            client.set(entry_key, text, ex=CACHE_SECONDS)
        return self._keep(name, version, text)

    def _version_key(self) -> str:
        return key("memo", self.namespace, "version")

    def _key(self, name: str, version: int) -> str:
        return key("memo", self.namespace, name, version)

    def _keep(self, name: str, version: int, text: bytes | str) -> Memo:
        if len(self._values) >= self.MAX_ENTRIES:
            self._values.clear()
        raw = text.encode() if isinstance(text, str) else text
        memo = self._values[name] = Memo(version, json.loads(raw), raw, {})
        return memo
