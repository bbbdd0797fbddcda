from __future__ import annotations

from decimal import Decimal

from django import template

from core.numbers import decimal_text

register = template.Library()


@register.filter
def plain_number(value: Decimal | None) -> str:
    return "" if value is None else decimal_text(value)
