"""What a recipe costs today, line by line, with a marker where a line cannot be costed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

from core.numbers import decimal_text
from kitchen.models import Recipe, RecipeIngredient
from kitchen.pricing.units import convert

CENT = Decimal("0.01")


@dataclass
class LineCost:
    line: RecipeIngredient
    cost: Decimal | None
    problem: str = ""


@dataclass
class RecipeCost:
    currency: str
    total: Decimal
    per_serving: Decimal
    complete: bool
    oldest_price_at: datetime | None
    lines: list[LineCost] = field(default_factory=list)

    @property
    def uncosted(self) -> int:
        return sum(1 for line in self.lines if line.cost is None)

    def as_dict(self) -> dict:
        return {
            "currency": self.currency,
            "total": str(self.total),
            "per_serving": str(self.per_serving),
            "complete": self.complete,
            "uncosted_lines": self.uncosted,
            "oldest_price_at": self.oldest_price_at.isoformat() if self.oldest_price_at else None,
        }


def line_cost(line: RecipeIngredient, *, currency: str) -> LineCost:
    ingredient = line.ingredient
    if ingredient.current_price is None:
        return LineCost(line, None, "no price yet")
    if ingredient.currency != currency:
        return LineCost(line, None, f"priced in {ingredient.currency}, costs are in {currency}")
    quantity = convert(line.quantity, line.unit, ingredient.unit)
    if quantity is None:
        return LineCost(line, None, f"can't cost this line: {line.unit} of an ingredient sold by {ingredient.unit}")
    return LineCost(line, (quantity * ingredient.current_price).quantize(CENT, ROUND_HALF_UP))


def recipe_cost(recipe: Recipe, *, currency: str | None = None) -> RecipeCost:
    """Cost in `currency` (PRICE_CURRENCY by default) from current prices; a line priced in another
    currency is not costed (nothing converts currencies). Expects recipe_ingredients (with ingredient) prefetched."""
    currency = currency or settings.PRICE_CURRENCY
    lines = [line_cost(line, currency=currency) for line in recipe.recipe_ingredients.all()]
    total = sum((line.cost for line in lines if line.cost is not None), Decimal("0.00"))
    dates = [line.line.ingredient.priced_at for line in lines if line.cost is not None]
    return RecipeCost(
        currency=currency,
        total=total.quantize(CENT),
        per_serving=(total / max(recipe.servings, 1)).quantize(CENT, ROUND_HALF_UP),
        complete=all(line.cost is not None for line in lines),
        # A line has a cost only when its ingredient has a price, and so a price date.
        oldest_price_at=min(dates) if dates else None,  # type: ignore[type-var]
        lines=lines,
    )


def line_cost_event(item: LineCost) -> dict[str, Any]:
    """One line of a cost event: the price used and its date, or the reason it can't be costed."""
    line, ingredient = item.line, item.line.ingredient
    costed = item.cost is not None
    return {
        "id": line.pk,
        "position": line.position,
        "ingredient_id": line.ingredient_id,
        "ingredient": ingredient.name,
        "quantity": decimal_text(line.quantity),
        "unit": line.unit,
        "note": line.note,
        "cost": str(item.cost) if costed else None,
        # A costed line's ingredient has a price, and so a price date.
        "price": str(ingredient.current_price) if costed else None,
        "price_unit": ingredient.unit,
        "priced_at": ingredient.priced_at.isoformat() if costed and ingredient.priced_at else None,
        "problem": item.problem,
    }


def recipe_cost_event(recipe: Recipe) -> dict[str, Any]:
    """The `cost` event a recipe's page hears: totals and every line, amounts as Decimal strings.
    Expects recipe_ingredients (with ingredient) prefetched, as recipe_cost does."""
    cost = recipe_cost(recipe)
    return {
        "type": "cost",
        "recipe": recipe.pk,
        "servings": recipe.servings,
        **cost.as_dict(),
        "lines": [line_cost_event(item) for item in cost.lines],
    }
