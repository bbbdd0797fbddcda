"""Small server-drawn charts: numbers in, SVG coordinates out (no script, no user text in markup)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from kitchen.models import Ingredient
from kitchen.pricing.services import unit_price_in


@dataclass(frozen=True)
class PriceChart:
    width: int
    height: int
    dots: list[tuple[float, float]]
    low: Decimal
    high: Decimal
    first: datetime
    last: datetime
    currency: str
    unit: str
    count: int

    @property
    def points(self) -> str:
        """The SVG polyline's "x,y x,y ..."."""
        return " ".join(f"{x},{y}" for x, y in self.dots)


def price_chart(ingredient: Ingredient, *, width: int = 640, height: int = 200, pad: int = 12) -> PriceChart | None:
    """The ingredient's price over time per stock unit, from its prefetched `.recent` history.

    Observations in other currencies, or in units that do not convert to the stock unit, are
    left out rather than drawn on the wrong scale. None when nothing is left to draw.
    """
    currency = ingredient.currency
    series = sorted(
        (observation.observed_at, price)
        for observation in ingredient.recent
        if observation.currency == currency
        and (price := unit_price_in(price=observation.price, unit=observation.unit, stock_unit=ingredient.unit))
    )
    if not series:
        return None
    first, last = series[0][0], series[-1][0]
    low, high = min(p for _, p in series), max(p for _, p in series)
    span_t = (last - first).total_seconds() or 1.0
    span_p = float(high - low) or 1.0

    def x(moment: datetime) -> float:
        return round(pad + (width - 2 * pad) * ((moment - first).total_seconds() / span_t if last > first else 0.5), 1)

    def y(price: Decimal) -> float:
        share = float(price - low) / span_p if high > low else 0.5
        return round(height - pad - (height - 2 * pad) * share, 1)

    dots = [(x(moment), y(price)) for moment, price in series]
    return PriceChart(
        width=width,
        height=height,
        dots=dots,
        low=low,
        high=high,
        first=first,
        last=last,
        currency=currency,
        unit=ingredient.unit,
        count=len(series),
    )
