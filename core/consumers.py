"""Base consumer that never lets bad input or a bug close the socket with 1011."""

from __future__ import annotations

import json
import logging

from channels.generic.websocket import AsyncWebsocketConsumer

from core.messages import MAX_FRAME_BYTES, MessageError, parse_json_object

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403


class JsonSocketConsumer(AsyncWebsocketConsumer):
    """Parses each frame with parse_json_object and hands it to handle(); errors go back as events."""

    max_frame_bytes = MAX_FRAME_BYTES
    # Room events reach sockets through core.realtime's per-process hub, so a socket needs no
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

    async def handle(self, payload: dict) -> None:
        raise MessageError("unknown_type", f"unknown message type {payload['type'][:40]!r}")

    async def send_json(self, event: dict) -> None:
        await self.send(text_data=json.dumps(event, separators=(",", ":")))

    async def send_error(self, error: MessageError) -> None:
        await self.send_json(error.as_event())


class HealthConsumer(JsonSocketConsumer):
    """/ws/health/: answers {"type": "ping"} with {"type": "pong"}."""

    async def connect(self) -> None:
        await self.accept()

    async def handle(self, payload: dict) -> None:
        if payload["type"] != "ping":
            await super().handle(payload)
            return
        await self.send_json({"type": "pong"})


class RefuseConsumer(AsyncWebsocketConsumer):
    """Catch-all for unknown WebSocket paths."""

    async def connect(self) -> None:
        await self.close(code=CLOSE_NOT_FOUND)
