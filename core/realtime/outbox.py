"""Frames on their way to one socket: a socket that stops reading never holds up the others.

uvicorn's WebSocket `send` waits while the connection's write buffer is over its high-water
mark, which is what a client that stopped reading (or a very slow link) causes. The hub writes
each event to every local socket of a topic in turn, so one such socket would stall the fan-out
of every topic in the process. Instead the hub puts frames in each socket's outbox and moves
on; a task per socket writes them out in order. An outbox that grows past `max_bytes` means the
client cannot keep up: its frames are dropped and `on_overflow` is called (the consumer closes
the socket with 1013, "try again later"; the client reconnects and catches up).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

MAX_QUEUED_BYTES = 1024 * 1024  # per socket; a chat frame is at most a few KiB


class SocketOutbox:
    def __init__(
        self,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        *,
        on_overflow: Callable[[], None],
        max_bytes: int = MAX_QUEUED_BYTES,
    ) -> None:
        self._send = send
        self._on_overflow = on_overflow
        self.max_bytes = max_bytes
        self._frames: deque[str | bytes] = deque()
        self.queued_bytes = 0
        self._wakeup: asyncio.Future[None] | None = None
        self._writer = asyncio.create_task(self._write(), name="socket-outbox")
        self.closed = False

    async def deliver(self, frame: str | bytes) -> None:
        """The hub's Deliver: never waits (it is async only to fit the hub's interface)."""
        self.put(frame)

    def put(self, frame: str | bytes) -> None:
        if self.closed:
            return
        if self.queued_bytes + len(frame) > self.max_bytes:
            logger.warning("socket outbox over %d bytes: the client is not reading; closing it", self.max_bytes)
            self.close()
            self._on_overflow()
            return
        self._frames.append(frame)
        self.queued_bytes += len(frame)
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def close(self) -> None:
        """Drop what is queued and stop writing (the socket is closing)."""
        self.closed = True
        self._frames.clear()
        self.queued_bytes = 0
        self._writer.cancel()

    async def _write(self) -> None:
        frames = self._frames
        loop = asyncio.get_running_loop()
        try:
            while True:
                while frames:
                    frame = frames.popleft()
                    self.queued_bytes -= len(frame)
                    if isinstance(frame, bytes):
                        await self._send({"type": "websocket.send", "bytes": frame})
                    else:
                        await self._send({"type": "websocket.send", "text": frame})
                self._wakeup = loop.create_future()
                await self._wakeup
                self._wakeup = None
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection is gone: the consumer's disconnect cleans up
            logger.debug("socket outbox stopped writing", exc_info=True)
            self.closed = True
            frames.clear()
            self.queued_bytes = 0


async def close_soon(close: Callable[[], Awaitable[None]]) -> None:
    """Run a socket's close without letting its errors escape (the peer may be gone)."""
    with contextlib.suppress(Exception):
        await close()
