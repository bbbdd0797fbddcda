"""The kitchen's live sockets: prices for every signed-in chef, and each recipe's own events."""

from __future__ import annotations

from typing import Any

from core.db import database_call
from core.realtime.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, SignedInTopicsConsumer
from kitchen.pricing.services import PRICES_TOPIC, recipe_topic
from kitchen.selectors import recipe_access, recipe_cost_now

REFUSALS = {"visible": None, "hidden": CLOSE_FORBIDDEN, "missing": CLOSE_NOT_FOUND}


class PriceConsumer(SignedInTopicsConsumer):
    """/ws/kitchen/prices/: ingredient prices are kitchen-wide."""

    def topics(self, user: Any) -> list[str]:
        return [PRICES_TOPIC]


class RecipeLiveConsumer(SignedInTopicsConsumer):
    """/ws/recipes/<id>/live/: the recipe's cost as prices and lines change, for chefs who may see it.

    The socket starts with the cost now; a {"type": "cost"} frame asks for it again (after a resync).
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

    async def handle(self, payload: dict[str, Any]) -> None:
        if payload["type"] != "cost":
            await super().handle(payload)
            return
        await self._send_cost()

    async def _send_cost(self) -> None:
        event = await database_call(recipe_cost_now)(recipe_id=self.recipe_id)
        if event is not None:
            await self.send_json(event)
