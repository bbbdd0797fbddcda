"""Process-local copies of small, hot values, dropped by a message from any process.

Every signed-in request reads the same few entries: its session, its user, the kitchen data
version. From Redis each is a round trip of about 0.1 ms of CPU with redis-py; from this
process's memory it is a dictionary lookup. A NearCache keeps copies here and drops one
when any process publishes its key on the cache's topic (through core.realtime.hub's single
pub/sub connection per process), so a logout, a password change or a price update in one
process is seen by the others within a millisecond or so.

Safety rules:
- copies are served only once subscribed, and not while the hub's Redis connection is lost;
  when it is lost and when it is back, everything is forgotten (messages may have
  been missed while away);
- a load that overlaps an invalidation is returned but not kept (generation counter), so a
  value read just before a change cannot outlive the change;
- callers get their own copy (`copy_value`), so one request cannot change another's data;
- a copy lives at most `max_age` seconds (so a session's expiry is honoured within that);
- at most `max_entries` copies, cleared wholesale when full.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Awaitable, Callable
from typing import Any

from core.realtime.hub import apublish_raw, hub, publish_raw, publish_raw_on_commit
from core.redis_clients import LoopLocal


class _LoopState:
    def __init__(self) -> None:
        self.values: dict[str, tuple[Any, float]] = {}  # key -> (value, monotonic deadline)
        self.generation = 0
        self.live = False
        self.joining: asyncio.Task[None] | None = None


class NearCache:
    def __init__(
        self,
        name: str,
        *,
        max_age: float = 60,
        max_entries: int = 10_000,
        copy_value: Callable[[Any], Any] = copy.deepcopy,
    ) -> None:
        self.topic = f"near:{name}"
        self.max_age = max_age
        self.max_entries = max_entries
        self.copy_value = copy_value
        self._states: LoopLocal[_LoopState] = LoopLocal(_LoopState)

    async def get(self, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        """The value for `key`: this process's copy, or `load()` (kept if not None)."""
        state = self._state()
        kept = state.values.get(key)
        now = time.monotonic()
        if kept is not None and kept[1] > now and state.live and hub().healthy:
            return self.copy_value(kept[0])
        generation = state.generation
        value = await load()
        if value is not None and state.live and generation == state.generation:
            if len(state.values) >= self.max_entries:
                state.values.clear()
            state.values[key] = (value, now + self.max_age)
            return self.copy_value(value)
        return value

    def invalidate(self, key: str) -> None:
        """Drop `key` in every process now."""
        publish_raw(self.topic, key)

    def invalidate_on_commit(self, key: str) -> None:
        """Drop `key` in every process once the current transaction commits (now, outside one)."""
        publish_raw_on_commit(self.topic, key)

    async def ainvalidate(self, key: str) -> None:
        await apublish_raw(self.topic, key)

    def _state(self) -> _LoopState:
        state = self._states.get()
        if not state.live and (state.joining is None or state.joining.done()):
            state.joining = asyncio.get_running_loop().create_task(
                self._join(state), name=f"nearcache-join-{self.topic}"
            )
        return state

    async def _join(self, state: _LoopState) -> None:
        async def deliver(frame: str) -> None:
            state.generation += 1
            state.values.pop(frame, None)

        async def forget_everything() -> None:
            # Invalidations published while the hub was away are lost: nothing kept can be trusted.
            state.generation += 1
            state.values.clear()

        try:
            await hub().join(self.topic, self, deliver, on_resync=forget_everything, on_stale=forget_everything)
        except Exception:  # Redis is down: serve without copies, try again on the next get
            return
        state.values.clear()
        state.generation += 1
        state.live = True
