"""The kitchen overview: recipes with chefs and costs, stock, and a live market price check.

The async version gathers the three concurrently and gives the live check a strict time budget;
the sync version does the same work one step after another (kept for the side-by-side benchmark).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Prefetch

from kitchen.models import Ingredient, RecipeIngredient
from kitchen.pricing.costing import recipe_cost
from kitchen.pricing.providers import (
    FetchResult,
    IngredientRef,
    ProviderError,
    close_http_client,
    configured_provider,
)
from kitchen.selectors import recipes_visible_to

RECIPE_LIMIT = 50


def _recipes_query(user):
    lines = RecipeIngredient.objects.select_related("ingredient").order_by("position")
    return recipes_visible_to(user=user).prefetch_related(Prefetch("recipe_ingredients", queryset=lines))[:RECIPE_LIMIT]


def recipe_row(recipe) -> dict:
    return {
        "id": recipe.pk,
        "name": recipe.name,
        "chef": str(recipe.owner),
        "status": recipe.status,
        "servings": recipe.servings,
        "cost": recipe_cost(recipe).as_dict(),
    }


def ingredient_row(ingredient: Ingredient) -> dict:
    return {
        "id": ingredient.pk,
        "name": ingredient.name,
        "stock": str(ingredient.stock.normalize()),
        "unit": ingredient.unit,
        "price": str(ingredient.current_price) if ingredient.current_price is not None else None,
        "currency": ingredient.currency,
        "priced_at": ingredient.priced_at.isoformat() if ingredient.priced_at else None,
    }


def live_report(result: FetchResult | None, *, status: str, detail: str = "") -> dict:
    quotes = result.quotes if result else []
    return {
        "status": status,
        "detail": detail,
        "quotes": {
            q.ingredient.lower(): {"price": str(q.price), "currency": q.currency, "unit": q.unit,
                                   "observed_at": q.observed_at.isoformat()}
            for q in quotes
        },
    }  # fmt: skip


async def _live_check(refs_query, budget: float) -> dict:
    provider = configured_provider()
    try:
        refs = [IngredientRef(name, tag) async for name, tag in refs_query]
        result = await asyncio.wait_for(provider.fetch(ingredients=refs), timeout=budget)
    except TimeoutError:
        return live_report(
            None, status="timeout", detail=f"{provider.name} did not answer within {budget * 1000:.0f} ms"
        )
    except ProviderError as error:
        return live_report(None, status="error", detail=str(error)[:200])
    return live_report(result, status="ok", detail=provider.name)


def _ingredient_refs():
    return Ingredient.objects.values_list("name", "open_prices_category")


async def kitchen_overview(*, user) -> dict:
    """Gather recipes+costs, stock and the live check concurrently."""

    async def recipes() -> list[dict]:
        return [recipe_row(recipe) async for recipe in _recipes_query(user)]

    async def stock() -> list[dict]:
        return [ingredient_row(i) async for i in Ingredient.objects.order_by("name")]

    recipe_rows, ingredient_rows, live = await asyncio.gather(
        recipes(), stock(), _live_check(_ingredient_refs(), settings.PRICE_LIVE_BUDGET)
    )
    return {
        "generated_at": datetime.now(tz=UTC).isoformat(),
        "recipes": recipe_rows,
        "ingredients": ingredient_rows,
        "live_prices": live,
    }


def kitchen_overview_sync(*, user) -> dict:
    """The same overview, one step after another, as a sync view would build it."""
    recipe_rows = [recipe_row(recipe) for recipe in _recipes_query(user)]
    ingredient_rows = [ingredient_row(i) for i in Ingredient.objects.order_by("name")]
    refs = list(_ingredient_refs())

    async def check() -> dict:
        async def refs_iter():
            for ref in refs:
                yield ref

        try:
            return await _live_check(refs_iter(), settings.PRICE_LIVE_BUDGET)
        finally:
            await close_http_client()

    return {
        "generated_at": datetime.now(tz=UTC).isoformat(),
        "recipes": recipe_rows,
        "ingredients": ingredient_rows,
        "live_prices": asyncio.run(check()),
    }
