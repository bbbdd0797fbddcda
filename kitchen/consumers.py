"""/ws/kitchen/prices/: price changes for signed-in chefs (ingredient prices are kitchen-wide)."""

from __future__ import annotations

from typing import Any

from core.realtime.consumers import SignedInTopicsConsumer
from kitchen.pricing.services import PRICES_TOPIC


class PriceConsumer(SignedInTopicsConsumer):
    def topics(self, user: Any) -> list[str]:
        return [PRICES_TOPIC]
