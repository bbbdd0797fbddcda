"""The base consumer every JSON socket subclasses: bad input or a bug never closes the socket with 1011."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from core.realtime.hub import hub
from core.realtime.messages import MAX_FRAME_BYTES, MessageError, parse_json_object
from core.realtime.outbox import SocketOutbox, close_soon

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013  # "try again later": the client reconnects with backoff and catches up


class JsonSocketConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no types
    """Parses each frame with parse_json_object and hands it to handle(); errors go back as events."""

    max_frame_bytes = MAX_FRAME_BYTES
    # Room events reach sockets through core.realtime.hub's per-process hub, so a socket needs no
    # channel of its own: an unconfigured alias makes Channels skip creating and polling one.
    channel_layer_alias = "unused-per-socket-channel"

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            payload = parse_json_object(text_data, max_bytes=self.max_frame_bytes)
            await self.handle(payload)
        except MessageError as error:
            await self.send_error(error)
        except Exception:
            logger.exception("%s failed on a message", type(self).__name__)
            await self.send_error(MessageError("internal_error", "the server could not handle that message"))

    async def handle(self, payload: dict[str, Any]) -> None:
        raise MessageError("unknown_type", f"unknown message type {payload['type'][:40]!r}")

    async def send_json(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event, separators=(",", ":")))

    async def send_error(self, error: MessageError) -> None:
        await self.send_json(error.as_event())

    # -- topics: events from the realtime hub, through an outbox of this socket's own ----------

    _outbox: SocketOutbox | None = None
    _topic: str = ""

    async def topic_join(self, topic: str) -> None:
        """Receive the topic's events. They are queued per socket (core/realtime/outbox.py), so a client
        that stops reading never holds up the others; one that falls too far behind is closed."""
        outbox = SocketOutbox(self.base_send, on_overflow=self._fell_behind)
        try:
            await hub().join(topic, self, outbox.deliver)
        except BaseException:
            outbox.close()
            raise
        self._outbox, self._topic = outbox, topic

    async def topic_leave(self) -> None:
        if self._outbox is not None:
            self._outbox.close()
            await hub().leave(self._topic, self)

    def _fell_behind(self) -> None:
        # Closing sends a frame, which waits for the stalled client: do it in a task, not in the
        # hub's fan-out. If the client never reads again, uvicorn's keepalive ping times it out.
        self._closing = asyncio.create_task(close_soon(self._close_behind))

    async def _close_behind(self) -> None:
        await hub().leave(self._topic, self)
        await self.close(code=CLOSE_TRY_AGAIN)
