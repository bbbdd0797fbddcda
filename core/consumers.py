"""The core app's own sockets: the health ping and the refusal of unknown paths."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from core.realtime.consumers import CLOSE_NOT_FOUND, JsonSocketConsumer, refuse


class HealthConsumer(JsonSocketConsumer):
    """/ws/health/: answers {"type": "ping"} with {"type": "pong"}."""

    async def connect(self) -> None:
        await self.accept()

    async def handle(self, payload: dict[str, Any]) -> None:
        if payload["type"] != "ping":
            await super().handle(payload)
            return
        await self.send_json({"type": "pong"})


class RefuseConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels ships no types
    """Catch-all for unknown WebSocket paths."""

    async def connect(self) -> None:
        await refuse(self, CLOSE_NOT_FOUND)
