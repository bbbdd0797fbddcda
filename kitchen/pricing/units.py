"""Unit conversion with pint; a conversion that makes no sense returns None, never raises."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pint

# Kitchen units pint does not know, or knows differently.
_DEFINITIONS = [
    "piece = [count] = pc",
    "pinch = 1/16 * teaspoon",
]
# Our unit codes (kitchen.models.Unit) -> pint names.
_PINT_NAMES = {
    "g": "gram",
    "kg": "kilogram",
    "ml": "milliliter",
    "l": "liter",
    "tsp": "teaspoon",
    "tbsp": "tablespoon",
    "cup": "cup",
    "piece": "piece",
    "pinch": "pinch",
}


@cache
def registry() -> pint.UnitRegistry:
    ureg = pint.UnitRegistry(non_int_type=Decimal)
    for definition in _DEFINITIONS:
        ureg.define(definition)
    return ureg


def known_unit(code: str) -> bool:
    return code in _PINT_NAMES


def convert(quantity: Decimal, from_unit: str, to_unit: str) -> Decimal | None:
    """quantity in from_unit expressed in to_unit, or None (unknown unit, grams of pieces…)."""
    if from_unit == to_unit:
        return quantity
    if from_unit not in _PINT_NAMES or to_unit not in _PINT_NAMES:
        return None
    ureg = registry()
    try:
        value = ureg.Quantity(Decimal(quantity), _PINT_NAMES[from_unit]).to(_PINT_NAMES[to_unit]).magnitude
    except pint.DimensionalityError:
        return None
    return Decimal(value)
