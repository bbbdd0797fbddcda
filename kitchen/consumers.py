"""/ws/kitchen/prices/: price changes for logged-in chefs (ingredient prices are kitchen-wide)."""

from __future__ import annotations

from core.consumers import CLOSE_UNAUTHORISED, JsonSocketConsumer
from core.realtime import hub
from kitchen.pricing.services import PRICES_TOPIC


class PriceConsumer(JsonSocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.joined = False
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        await self.accept()
        await hub().join(PRICES_TOPIC, self, self._deliver)
        self.joined = True

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await hub().leave(PRICES_TOPIC, self)

    async def _deliver(self, frame: str) -> None:
        await self.base_send({"type": "websocket.send", "text": frame})
