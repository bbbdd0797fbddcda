"""The kitchen's live sockets: prices for every signed-in chef, and each recipe's own events."""

from __future__ import annotations

import logging
from typing import Any

from core.db import database_call
from core.realtime.consumers import (
    CLOSE_FLOOD,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHORISED,
    BinarySocketConsumer,
    Bucket,
    Incident,
    SignedInTopicsConsumer,
    refuse,
)
from kitchen.collab import frames
from kitchen.collab.room import Refused, Room, rooms
from kitchen.collab.store import document_get_or_build, document_report
from kitchen.pricing.services import PRICES_TOPIC, recipe_topic
from kitchen.selectors import DocumentAccess, recipe_access, recipe_cost_now, recipe_document_access

logger = logging.getLogger(__name__)

REFUSALS = {"visible": None, "hidden": CLOSE_FORBIDDEN, "missing": CLOSE_NOT_FOUND}


class PriceConsumer(SignedInTopicsConsumer):
    """/ws/kitchen/prices/: ingredient prices are kitchen-wide."""

    def topics(self, user: Any) -> list[str]:
        return [PRICES_TOPIC]


class RecipeLiveConsumer(SignedInTopicsConsumer):
    """/ws/recipes/<id>/live/: the recipe's cost as prices and lines change, for chefs who may see it,
    and what the last write-back of its shared document could not take (`document_report`).

    The socket starts with the cost now and the last report; a {"type": "cost"} frame asks for the
    cost again (after a resync).
    """

    recipe_id: int

    async def refusal(self, user: Any) -> int | None:
        self.recipe_id = self.scope["url_route"]["kwargs"]["recipe_id"]
        if not 0 < self.recipe_id < 2**63:  # beyond the id column: no such recipe
            return CLOSE_NOT_FOUND
        return REFUSALS[await database_call(recipe_access)(user=user, recipe_id=self.recipe_id)]

    def topics(self, user: Any) -> list[str]:
        return [recipe_topic(self.recipe_id)]

    async def joined(self, user: Any) -> None:
        await self._send_cost()
        report = await database_call(document_report)(recipe_id=self.recipe_id)
        if report:
            await self.send_json({"type": "document_report", "recipe": self.recipe_id, **report})

    async def handle(self, payload: dict[str, Any]) -> None:
        if payload["type"] != "cost":
            await super().handle(payload)
            return
        await self._send_cost()

    async def _send_cost(self) -> None:
        event = await database_call(recipe_cost_now)(recipe_id=self.recipe_id)
        if event is not None:
            await self.send_json(event)


async def document_access(user_id: int, recipe_id: int) -> DocumentAccess:
    return await database_call(recipe_document_access)(user_id=user_id, recipe_id=recipe_id)


AWARENESS_FRAME = bytes((frames.AWARENESS,))
AWARENESS_RATE, AWARENESS_BURST = 30.0, 60.0
SYNC_REQUEST_RATE, SYNC_REQUEST_BURST = 1.0, 5.0


class RecipeDocumentConsumer(BinarySocketConsumer):
    """/ws/recipes/<id>: the recipe's shared document, in the y-protocols sync and awareness format
    (an unmodified y-websocket client joins with `new WebsocketProvider(".../ws/recipes", id, doc)`).

    The owner and collaborators edit; another chef who may see the recipe joins read-only (their
    updates are refused); anyone else is closed with 4401 / 4403 / 4404 after the accept, so the
    client sees the code. The work is the room's (kitchen/collab/room.py).
    """

    room: Room | None = None
    user_id: int
    user_name: str
    can_edit: bool
    _read_only_told = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await refuse(self, CLOSE_UNAUTHORISED)
            return
        recipe_id = self.scope["url_route"]["kwargs"]["recipe_id"]
        if not 0 < recipe_id < 2**63:
            await refuse(self, CLOSE_NOT_FOUND)
            return
        access = await document_access(user.pk, recipe_id)
        if access in ("hidden", "missing"):
            await refuse(self, CLOSE_FORBIDDEN if access == "hidden" else CLOSE_NOT_FOUND)
            return
        if await database_call(document_get_or_build)(recipe_id=recipe_id) is None:
            await refuse(self, CLOSE_NOT_FOUND)
            return
        self.user_id, self.user_name = user.pk, user.get_full_name() or user.get_username()
        self.can_edit = access == "edit"
        await self.accept()
        self.start_outbox()
        self._awareness = Bucket(AWARENESS_RATE, AWARENESS_BURST)
        self._sync_requests = Bucket(SYNC_REQUEST_RATE, SYNC_REQUEST_BURST)
        try:
            room = await rooms().get(recipe_id)
            await room.add(self)
        except Refused:  # this user has too many sockets on the recipe already
            await self.close_with(CLOSE_FLOOD)
            return
        except Exception:
            logger.exception("recipe %s: could not open its document", recipe_id)
            await self.close_with(CLOSE_TRY_AGAIN)
            return
        self.room = room

    async def disconnect(self, code: int) -> None:
        self.stop_outbox()
        if self.room is not None:
            room, self.room = self.room, None
            await room.remove(self)

    def admit(self, frame: bytes) -> bool | None:
        if frame[:1] == AWARENESS_FRAME:
            # y-websocket clients re-send every awareness change they hear, other chefs' cursors
            # included: past its own rate, presence is dropped (the next one carries the latest),
            # and never closes the socket.
            return True if self._awareness.take() else None
        return super().admit(frame)

    async def handle_bytes(self, frame: bytes) -> None:
        if self.room is None:
            return
        try:
            message = frames.parse(frame)
        except frames.Malformed as error:
            raise Incident(error.kind) from None
        if isinstance(message, frames.Awareness):
            self.room.awareness(self, message.payload)
            return
        if message.sub == frames.STEP1 and not self._sync_requests.take():
            # Each answer encodes the whole document: a client asks once per connection.
            raise Incident("too_many_sync_requests")
        writes = message.sub != frames.STEP1 and message.payload != frames.EMPTY_UPDATE
        if not self.can_edit and writes and not self._read_only_told:
            self._read_only_told = True
            self.put(frames.permission_denied("read-only: you may not edit this recipe"))
        self.room.receive(self, message)
