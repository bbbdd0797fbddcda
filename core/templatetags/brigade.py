from __future__ import annotations

from decimal import Decimal

from django import template

from core.numbers import decimal_text, money_text, unit_price_text

register = template.Library()


@register.filter
def plain_number(value: Decimal | None) -> str:
    return "" if value is None else decimal_text(value)


@register.filter
def money(value: Decimal | str | None) -> str:
    """{{ cost.total|money }}: the amount to the cent (Decimals or the Decimal strings kept in JSON)."""
    return money_text(value)


@register.filter
def unit_price(value: Decimal | str | None) -> str:
    """{{ ingredient.current_price|unit_price }}: to the cent, or up to four decimals below 1."""
    return unit_price_text(value)
