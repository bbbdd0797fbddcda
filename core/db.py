"""Database work for socket consumers: in the shared thread pool, several calls at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async

P = ParamSpec("P")
R = TypeVar("R")


def database_call(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`database_sync_to_async` for self-contained ORM work (one service or selector call).

    Channels' default runs every such call of the process in one thread, so each socket's
    database round trips queue behind every other socket's. Here a call runs in the event
    loop's thread pool; channels closes old connections around it, which on PostgreSQL hands
    the connection back to psycopg's pool, so calls overlap without a connection each. On
    SQLite, writers still take turns on the file's lock, but reads and Python work overlap.
    Measured with bench/chat_writers.py (docs/PERFORMANCE.md).
    """
    call: Callable[P, Awaitable[R]] = database_sync_to_async(func, thread_sensitive=False)
    return call
