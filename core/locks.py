"""A lock across every worker process and machine, kept in Redis, for side effects that must not
run twice at once (e-mailing the same people from two deliveries of one task)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from redis.exceptions import LockError

from core.redis_clients import key, sync_client


class Busy(Exception):
    """Another holder has the lock (a concurrent delivery of the same task, or one that just died)."""


@contextlib.contextmanager
def exclusive(*name: object, hold: float, wait: float) -> Iterator[None]:
    """Run the block while holding the lock `name`, waiting at most `wait` seconds for it (Busy after).

    The lock expires `hold` seconds after it was taken, so a holder killed mid-block frees it; `hold`
    must exceed the longest the block can run (its task's hard time limit)."""
    lock = sync_client().lock(key("lock", *name), timeout=hold, blocking_timeout=wait)
    if not lock.acquire():
        raise Busy(":".join(map(str, name)))
    try:
        yield
    finally:
        with contextlib.suppress(LockError):  # expired meanwhile: nothing left to release
            lock.release()
