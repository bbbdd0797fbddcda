"""How numbers read: quantities without trailing zeros, money to cents, unit prices to what matters.

The same rules live in core/static/core/format.js for pages that update live; a browser test
holds the two to the same answers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
SMALL_PRICE_PLACES = Decimal("0.0001")


def decimal_text(value: Decimal) -> str:
    """20.000 -> "20", 0.720 -> "0.72": no trailing zeros and never exponent notation."""
    return format(value.normalize(), "f")


def _decimal(value: Decimal | str | int | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def money_text(value: Decimal | str | int | None) -> str:
    """An amount to the cent, rounding half up: "9.8" -> "9.80", "2.345" -> "2.35"; "" for no value."""
    number = _decimal(value)
    return "" if number is None else format(number.quantize(CENT, ROUND_HALF_UP), "f")


def unit_price_text(value: Decimal | str | int | None) -> str:
    """A price per unit: to the cent from 1 up ("9.8000" -> "9.80"); below 1, up to four decimals
    and at least two ("0.0042" -> "0.0042", "0.3200" -> "0.32"), so a price per gram stays readable."""
    number = _decimal(value)
    if number is None:
        return ""
    if abs(number) >= 1:
        return money_text(number)
    text = format(number.quantize(SMALL_PRICE_PLACES, ROUND_HALF_UP), "f")
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"
