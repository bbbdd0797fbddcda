"""The chat socket: identity from the session, every frame validated, nothing trusted."""

from __future__ import annotations

import logging
import time
import uuid

from chat import selectors, services
from chat.models import Room
from chat.presence import presence_announce, presence_leave, presence_touch
from core.db import database_call
from core.realtime import ratelimit
from core.realtime.consumers import (
    CLIENT_ID_MAX,
    CLOSE_NOT_FOUND,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHORISED,
    JsonSocketConsumer,
    refuse,
)
from core.realtime.hub import apublish
from core.realtime.messages import MessageError, require_field

logger = logging.getLogger(__name__)

CLOSE_ABUSE = 4429
RATE_PER_SECOND = 5.0
RATE_BURST = 10
TYPING_INTERVAL = 2.0
ABUSE_WINDOW = 10.0
ABUSE_LIMIT = 30  # rejected frames per window before the socket is closed


def _check_message_id(value: int, name: str) -> None:
    if not 0 <= value < 2**63:
        raise MessageError("invalid_message", f'"{name}" must be a message id')


class ChatConsumer(JsonSocketConsumer):
    max_frame_bytes = 12 * 1024
    room: Room | None  # None until connect() has entered the room

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.room = None
        self.connection_id = uuid.uuid4().hex[:12]
        self._last_typing = 0.0
        self._rejections: list[float] = []
        if self.user is None or not self.user.is_authenticated:
            await refuse(self, CLOSE_UNAUTHORISED)
            return
        name = self.scope["url_route"]["kwargs"].get("room", "")
        try:
            room = await database_call(services.room_enter)(name=name, user=self.user)
        except services.RoomAccessDenied:
            await refuse(self, CLOSE_NOT_FOUND)
            return
        except Exception:
            logger.exception("could not open chat room %r", name)
            await refuse(self, CLOSE_TRY_AGAIN)
            return
        self.room, self.topic = room, services.room_topic(room.name)
        await self.accept()
        try:
            await self.topic_join(self.topic)
            await self.send_json({"type": "welcome", "room": room.name, "you": self._identity()})
            await self._touch_presence()
            await self._broadcast_presence()
        except Exception:  # Redis unreachable: the client retries with backoff and catches up
            logger.exception("could not join chat room %r", room.name)
            await self.close(code=CLOSE_TRY_AGAIN)

    async def disconnect(self, code: int) -> None:
        if self.room is None:
            return
        try:
            await self.topic_leave()
            await presence_leave(
                room=self.room.name,
                connection_id=self.connection_id,
                user_id=self.user.pk,
                username=self.user.get_username(),
            )
            await self._broadcast_presence()
        except Exception:  # presence expires by itself after TTL_SECONDS
            logger.warning("could not leave chat room %r cleanly", self.room.name, exc_info=True)

    def _identity(self) -> dict:
        return {"id": self.user.pk, "name": self.user.get_username()}

    async def send_error(self, error: MessageError, *, client_id: str | None = None) -> None:
        await super().send_error(error, client_id=client_id)
        now = time.monotonic()
        self._rejections = [t for t in self._rejections if now - t < ABUSE_WINDOW] + [now]
        if len(self._rejections) > ABUSE_LIMIT:
            await self.close(code=CLOSE_ABUSE)

    async def handle(self, payload: dict) -> None:
        handler = {
            "message": self._on_message,
            "sync": self._on_sync,
            "older": self._on_older,
            "typing": self._on_typing,
            "ping": self._on_ping,
        }.get(payload["type"])
        if handler is None:
            await super().handle(payload)
            return
        await handler(payload)

    @property
    def entered_room(self) -> Room:
        """The room, for frame handlers: frames are handled only once connect() has entered it."""
        assert self.room is not None
        return self.room

    async def _on_message(self, payload: dict) -> None:
        client_id = require_field(payload, "client_id", str, optional=True)
        if client_id is not None and len(client_id) > CLIENT_ID_MAX:
            raise MessageError("invalid_message", f'"client_id" may be at most {CLIENT_ID_MAX} characters')
        body = services.clean_message_body(payload.get("body"))
        allowed = await ratelimit.allow(scope="chat", key=str(self.user.pk), rate=RATE_PER_SECOND, burst=RATE_BURST)
        if not allowed:
            raise MessageError("rate_limited", "you are sending messages too fast; wait a moment")
        message = await database_call(services.message_post)(room=self.entered_room, author=self.user, body=body)
        await self.send_json({"type": "ack", "client_id": client_id, "id": message.pk})

    async def _on_sync(self, payload: dict) -> None:
        after = require_field(payload, "after", int, optional=True)
        if after is not None:
            _check_message_id(after, "after")
        if after is None:
            messages, has_more = await database_call(selectors.messages_latest)(room=self.entered_room)
            await self.send_json({"type": "history", "messages": messages, "has_older": has_more})
            return
        messages, has_more = await database_call(selectors.messages_after)(room=self.entered_room, after_id=after)
        await self.send_json({"type": "catch_up", "messages": messages, "has_newer": has_more})

    async def _on_older(self, payload: dict) -> None:
        before = require_field(payload, "before", int)
        _check_message_id(before, "before")
        messages, has_more = await database_call(selectors.messages_before)(room=self.entered_room, before_id=before)
        await self.send_json({"type": "older", "messages": messages, "has_older": has_more})

    async def _on_typing(self, payload: dict) -> None:
        now = time.monotonic()
        if now - self._last_typing < TYPING_INTERVAL:
            return
        self._last_typing = now
        await apublish(self.topic, {"type": "typing", "user": self._identity()})

    async def _on_ping(self, payload: dict) -> None:
        await self._touch_presence()
        await self.send_json({"type": "pong"})

    async def _touch_presence(self) -> None:
        assert self.room is not None  # for mypy: frames arrive only once connect() entered it
        await presence_touch(
            room=self.room.name,
            connection_id=self.connection_id,
            user_id=self.user.pk,
            username=self.user.get_username(),
        )

    async def _broadcast_presence(self) -> None:
        assert self.room is not None  # for mypy: called only with a room entered
        await presence_announce(room=self.room.name, topic=self.topic)
