"""/ws/kitchen/prices/: price changes for logged-in chefs (ingredient prices are kitchen-wide)."""

from __future__ import annotations

from core.realtime.consumers import CLOSE_UNAUTHORISED, JsonSocketConsumer
from kitchen.pricing.services import PRICES_TOPIC


class PriceConsumer(JsonSocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        await self.accept()
        await self.topic_join(PRICES_TOPIC)

    async def disconnect(self, code: int) -> None:
        await self.topic_leave()
