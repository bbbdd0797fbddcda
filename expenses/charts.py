"""The month's daily spending as bars, drawn on the server: numbers in, SVG coordinates out.

The page renders the same geometry at first and redraws it from each event's copy (setAttribute
only), so the chart needs no drawing code in the browser and no user text in its markup.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

WIDTH, HEIGHT, PAD = 640, 160, 8
LABELS = 18  # a band under the bars for the day numbers


def daily_chart(*, month: date, daily: dict[date, Decimal], end: date) -> dict[str, Any]:
    """One bar per day of the month (1 .. end.day), scaled to the highest day; zero days have no height."""
    days = end.day
    slot = (WIDTH - 2 * PAD) / days
    high = max(daily.values(), default=Decimal(0))
    usable = HEIGHT - 2 * PAD
    bars = []
    for number in range(1, days + 1):
        amount = daily.get(month + timedelta(days=number - 1), Decimal(0))
        height = 0.0 if not high else round(float(amount / high) * usable, 2)
        bars.append({
            "day": number,
            "x": round(PAD + (number - 1) * slot + slot * 0.15, 2),
            "y": round(HEIGHT - PAD - height, 2),
            "width": round(slot * 0.7, 2),
            "height": height,
            "amount": format(amount.quantize(Decimal("0.01")), "f"),
        })  # fmt: skip
    # Day labels under the bars (1, 8, 15, 22, 29): the SVG's own text, numbers only.
    ticks = [{"day": number, "x": round(PAD + (number - 0.5) * slot, 2), "y": HEIGHT + LABELS - 4}
             for number in range(1, days + 1, 7)]  # fmt: skip
    return {"width": WIDTH, "height": HEIGHT + LABELS, "bars": bars, "ticks": ticks, "baseline": HEIGHT - PAD,
            "high": format(high.quantize(Decimal("0.01")), "f")}  # fmt: skip
