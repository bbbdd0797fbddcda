from __future__ import annotations

from decimal import Decimal


def decimal_text(value: Decimal) -> str:
    """20.000 -> "20", 0.720 -> "0.72": no trailing zeros and never exponent notation."""
    return format(value.normalize(), "f")
