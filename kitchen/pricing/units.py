"""Unit conversion with pint; a conversion that makes no sense returns None, never raises."""

from __future__ import annotations

import threading
from decimal import Decimal
from functools import cache

import pint

# Kitchen units pint does not know, or knows differently.
_DEFINITIONS = [
    "piece = [count]",
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


_registry: pint.UnitRegistry | None = None
_registry_lock = threading.Lock()


def registry() -> pint.UnitRegistry:
    """Built once per process (it takes a while), even when many threads ask at once."""
    global _registry
    if _registry is None:
        with _registry_lock:
            if _registry is None:
                ureg: pint.UnitRegistry = pint.UnitRegistry(non_int_type=Decimal)
                for definition in _DEFINITIONS:
                    ureg.define(definition)
                _registry = ureg
    return _registry


@cache
def _factor(from_unit: str, to_unit: str) -> Decimal | None:
    """How many to_unit make one from_unit (None when the dimensions differ)."""
    ureg = registry()
    try:
        return Decimal(ureg.Quantity(Decimal(1), _PINT_NAMES[from_unit]).to(_PINT_NAMES[to_unit]).magnitude)
    except pint.DimensionalityError:
        return None


def known_unit(code: str) -> bool:
    return code in _PINT_NAMES


def convert(quantity: Decimal, from_unit: str, to_unit: str) -> Decimal | None:
    """quantity in from_unit expressed in to_unit, or None (unknown unit, grams of pieces…)."""
    if from_unit == to_unit:
        return quantity
    if from_unit not in _PINT_NAMES or to_unit not in _PINT_NAMES:
        return None
    factor = _factor(from_unit, to_unit)
    return None if factor is None else Decimal(quantity) * factor
