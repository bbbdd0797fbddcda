"""Streaming a response built by synchronous code (ORM queries) under ASGI without holding it all.

Under ASGI, Django reads a StreamingHttpResponse's *sync* iterator to the end into a list before
sending the first byte; an async iterator is sent as it goes. `in_thread` turns a sync iterator
into an async one, advancing it a batch at a time in Django's thread for sync code.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import TypeVar

from asgiref.sync import sync_to_async

T = TypeVar("T")


async def in_thread(iterator: Iterator[T], *, batch: int = 200) -> AsyncIterator[T]:
    take = sync_to_async(lambda: list(itertools.islice(iterator, batch)), thread_sensitive=True)
    while items := await take():
        for item in items:
            yield item
