"""The kitchen overview: recipes with chefs and costs, stock, and a live market price check.

The async version gathers the three concurrently and gives the live check a strict time budget;
the sync version does the same work one step after another (kept for the side-by-side benchmark).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Prefetch

from core.numbers import decimal_text
from core.realtime import hub, sync_client
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
CACHE_SECONDS = 600  # a safety net: the version key changes on every relevant write


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
        "stock": decimal_text(ingredient.stock),
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


async def _live_check(budget: float) -> dict:
    provider = configured_provider()
    try:
        refs = await _ingredient_refs_cached()
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


def _version_key() -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:kitchen:overview-version"


def bump_overview_version() -> None:
    """Called on commit of any change to recipes, lines, ingredients or chefs."""
    sync_client().incr(_version_key())


async def _cached(name: str):
    """(key, cached JSON or None) for `name` at the current data version."""
    client = hub().client
    version = int(await client.get(_version_key()) or 0)
    key = f"{settings.CACHES['default']['KEY_PREFIX']}:kitchen:{name}:{version}"
    return key, await client.get(key)


async def _ingredient_refs_cached() -> list[IngredientRef]:
    key, cached = await _cached("price-refs")
    if cached is not None:
        return [IngredientRef(*pair) for pair in json.loads(cached)]
    pairs = [pair async for pair in _ingredient_refs()]
    await hub().client.set(key, json.dumps(pairs), ex=CACHE_SECONDS)
    return [IngredientRef(*pair) for pair in pairs]


async def _tables(user) -> tuple[list[dict], list[dict]]:
    """Recipes with costs and the stock table, computed once per data version and user."""
    client = hub().client
    key, cached = await _cached(f"overview:{user.pk}")
    if cached is not None:
        data = json.loads(cached)
        return data["recipes"], data["ingredients"]

    async def recipes() -> list[dict]:
        return [recipe_row(recipe) async for recipe in _recipes_query(user)]

    async def stock() -> list[dict]:
        return [ingredient_row(i) async for i in Ingredient.objects.order_by("name")]

    recipe_rows, ingredient_rows = await asyncio.gather(recipes(), stock())
    await client.set(key, json.dumps({"recipes": recipe_rows, "ingredients": ingredient_rows}), ex=CACHE_SECONDS)
    return recipe_rows, ingredient_rows


async def kitchen_overview(*, user) -> dict:
    """Gather the (cached) recipe and stock tables and the live price check concurrently."""
    (recipe_rows, ingredient_rows), live = await asyncio.gather(_tables(user), _live_check(settings.PRICE_LIVE_BUDGET))
    return {
        "generated_at": datetime.now(tz=UTC).isoformat(),
        "recipes": recipe_rows,
        "ingredients": ingredient_rows,
        "live_prices": live,
    }


def _live_check_sync(refs: list[IngredientRef], budget: float) -> dict:
    """A sync view's live check: a blocking call with the budget as its timeout."""
    provider = configured_provider()
    fetch_sync = getattr(provider, "fetch_sync", None)
    try:
        if fetch_sync is None:  # Open Prices is async-only: run it on a private loop
            result = asyncio.run(_bounded(provider.fetch(ingredients=refs), budget))
        else:
            result = fetch_sync(ingredients=refs, timeout=budget)
    except (TimeoutError, ProviderError) as error:
        if "timed out" in str(error) or isinstance(error, TimeoutError):
            return live_report(None, status="timeout", detail=f"{provider.name} did not answer within "
                               f"{budget * 1000:.0f} ms")  # fmt: skip
        return live_report(None, status="error", detail=str(error)[:200])
    return live_report(result, status="ok", detail=provider.name)


async def _bounded(awaitable, budget: float):
    try:
        return await asyncio.wait_for(awaitable, timeout=budget)
    finally:
        await close_http_client()


def kitchen_overview_sync(*, user) -> dict:
    """The same overview, one step after another, as a sync view would build it."""
    recipe_rows = [recipe_row(recipe) for recipe in _recipes_query(user)]
    ingredient_rows = [ingredient_row(i) for i in Ingredient.objects.order_by("name")]
    refs = [IngredientRef(name, tag) for name, tag in _ingredient_refs()]
    return {
        "generated_at": datetime.now(tz=UTC).isoformat(),
        "recipes": recipe_rows,
        "ingredients": ingredient_rows,
        "live_prices": _live_check_sync(refs, settings.PRICE_LIVE_BUDGET),
    }
