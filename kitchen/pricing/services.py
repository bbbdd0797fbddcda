"""Recording prices: one path for every source (refresh command, admin, API, scheduled task)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asgiref.sync import sync_to_async
from django.db import transaction
from django.db.models.functions import Lower

from core.realtime.hub import encode, publish_on_commit, publish_raw
from kitchen.models import Ingredient, IngredientPrice, Recipe
from kitchen.pricing.costing import recipe_cost_event
from kitchen.pricing.providers import FetchResult, IngredientRef, PriceProvider, PriceQuote, close_http_client
from kitchen.pricing.units import convert
from kitchen.selectors import recipes_for_costing

logger = logging.getLogger(__name__)

PRICES_TOPIC = "kitchen.prices"
PRICE_PLACES = Decimal("0.0001")


def recipe_topic(recipe_id: int) -> str:
    """One recipe's live events (its cost): only sockets allowed to see the recipe join it."""
    return f"recipe.{int(recipe_id)}"


@dataclass
class RecordResult:
    changed: list[int]
    recorded: int
    skipped: list[str]


def price_per_stock_unit(*, quote: PriceQuote, stock_unit: str) -> Decimal | None:
    """The quote's price for one unit of the ingredient's stock unit (None if not convertible)."""
    return unit_price_in(price=quote.price, unit=quote.unit, stock_unit=stock_unit)


def unit_price_in(*, price: Decimal, unit: str, stock_unit: str) -> Decimal | None:
    """A price per `unit` as a price per one `stock_unit` (None if the units do not convert)."""
    one_stock_unit = convert(Decimal(1), stock_unit, unit)
    if one_stock_unit is None:
        return None
    value = (price * one_stock_unit).quantize(PRICE_PLACES)
    return value if value > 0 else None


def ingredient_price_event(ingredient: Ingredient) -> dict[str, Any]:
    return {
        "id": ingredient.pk,
        "name": ingredient.name,
        "price": str(ingredient.current_price) if ingredient.current_price is not None else None,
        "currency": ingredient.currency,
        "unit": ingredient.unit,
        "priced_at": ingredient.priced_at.isoformat() if ingredient.priced_at else None,
    }


@transaction.atomic
def prices_record(*, quotes: Sequence[PriceQuote]) -> RecordResult:
    """Store each quote as history and move current prices forward; idempotent for re-runs."""
    names = {q.ingredient.lower() for q in quotes}
    ingredients = {
        i.name.lower(): i
        for i in Ingredient.objects.select_for_update().annotate(lname=Lower("name")).filter(lname__in=names)
    }
    changed: dict[int, Ingredient] = {}
    recorded = 0
    skipped = []
    for quote in quotes:
        ingredient = ingredients.get(quote.ingredient.lower())
        if ingredient is None:
            skipped.append(f"{quote.ingredient}: no such ingredient")
            continue
        per_unit = price_per_stock_unit(quote=quote, stock_unit=ingredient.unit)
        if per_unit is None:
            skipped.append(f"{quote.ingredient}: cannot convert {quote.unit} to {ingredient.unit}")
            logger.warning("price for %s in %s cannot be converted to %s", ingredient, quote.unit, ingredient.unit)
            continue
        _, created = IngredientPrice.objects.get_or_create(
            ingredient=ingredient,
            source=quote.source,
            observed_at=quote.observed_at,
            defaults={"price": quote.price, "currency": quote.currency, "unit": quote.unit},
        )
        recorded += created
        newer = ingredient.priced_at is None or quote.observed_at >= ingredient.priced_at
        different = (ingredient.current_price, ingredient.currency) != (per_unit, quote.currency)
        if newer and (different or ingredient.priced_at != quote.observed_at):
            ingredient.current_price, ingredient.currency = per_unit, quote.currency
            ingredient.priced_at = quote.observed_at
            ingredient.save(update_fields=["current_price", "currency", "priced_at"])
            changed[ingredient.pk] = ingredient
    if changed:
        publish_on_commit(
            PRICES_TOPIC, {"type": "prices", "ingredients": [ingredient_price_event(i) for i in changed.values()]}
        )
        recipe_costs_publish_on_commit(ingredient_ids=list(changed))
    return RecordResult(changed=sorted(changed), recorded=recorded, skipped=skipped)


def recipe_costs_publish(*, recipes: Iterable[Recipe]) -> int:
    """Publish each recipe's cost event to its own topic (lines prefetched); how many were published."""
    published = 0
    for recipe in recipes:
        publish_raw(recipe_topic(recipe.pk), encode(recipe_cost_event(recipe)))
        published += 1
    return published


def recipe_costs_publish_on_commit(
    *, recipe_ids: Collection[int] | None = None, ingredient_ids: Collection[int] | None = None
) -> None:
    """Once the transaction commits, cost these recipes (or those using these ingredients) and
    publish each to its own topic: from committed prices and lines, and never for a rollback."""
    recipes = recipes_for_costing(recipe_ids=recipe_ids, ingredient_ids=ingredient_ids)  # read when it runs
    transaction.on_commit(lambda: recipe_costs_publish(recipes=recipes), robust=True)


async def prices_refresh(*, provider: PriceProvider) -> tuple[RecordResult, list[str]]:
    """Ask the provider for every ingredient's price and record what it returns."""
    refs = [
        IngredientRef(name=name, open_prices_category=tag)
        async for name, tag in Ingredient.objects.values_list("name", "open_prices_category")
    ]
    fetched = await provider.fetch(ingredients=refs)
    result = await sync_to_async(prices_record)(quotes=fetched.quotes)
    return result, fetched.rejected


def prices_refresh_blocking(*, provider: PriceProvider) -> tuple[RecordResult, list[str]]:
    """prices_refresh for sync callers (command, admin, Celery): fetch on a private loop, record here."""
    refs = [IngredientRef(name, tag) for name, tag in Ingredient.objects.values_list("name", "open_prices_category")]

    async def fetch() -> FetchResult:
        try:
            return await provider.fetch(ingredients=refs)
        finally:
            await close_http_client()

    fetched = asyncio.run(fetch())
    return prices_record(quotes=fetched.quotes), fetched.rejected
