"""The kitchen overview: recipes with chefs and costs, stock, and a live market price check.

The tables are gathered concurrently and kept once per data version (core/memo.py); the live
check has a strict time budget. The benchmark's sync twins (bench/sync_twins/) do the same work
one step after another.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from core.memo import Memo, VersionedMemo, encode
from core.numbers import decimal_text
from kitchen.models import Ingredient
from kitchen.pricing.costing import recipe_cost
from kitchen.pricing.providers import (
    FetchResult,
    IngredientRef,
    ProviderError,
    configured_provider,
)
from kitchen.selectors import recipe_lines_prefetch, recipes_visible_to

RECIPE_LIMIT = 50


def recipes_query(user):
    return recipes_visible_to(user=user).prefetch_related(recipe_lines_prefetch())[:RECIPE_LIMIT]


def recipe_row(recipe) -> dict:
    return {
        "id": recipe.pk,
        "url": reverse("kitchen:recipe-detail", args=[recipe.pk]),
        "name": recipe.name,
        "chef": str(recipe.owner),
        "status": recipe.status,
        "servings": recipe.servings,
        "cost": recipe_cost(recipe).as_dict(),
    }


def ingredient_row(ingredient: Ingredient) -> dict:
    return {
        "id": ingredient.pk,
        "url": reverse("kitchen:ingredient-detail", args=[ingredient.pk]),
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


async def _live_check(refs: list[IngredientRef], budget: float) -> dict:
    provider = configured_provider()
    try:
        async with asyncio.timeout(budget):  # no extra task, unlike wait_for on 3.11
            result = await provider.fetch(ingredients=refs)
    except TimeoutError:
        return live_report(
            None, status="timeout", detail=f"{provider.name} did not answer within {budget * 1000:.0f} ms"
        )
    except ProviderError as error:
        return live_report(None, status="error", detail=str(error)[:200])
    return live_report(result, status="ok", detail=provider.name)


def ingredient_refs():
    return Ingredient.objects.values_list("name", "open_prices_category")


memo = VersionedMemo("kitchen")
# Called on commit of any change to recipes, lines, ingredients or chefs.
bump_overview_version = memo.bump


def tables_name(user) -> str:
    return f"overview:{user.pk}"


def _tables_compute(user):
    """Recipes with costs and the stock table, gathered concurrently (kept once per data version and user)."""

    async def compute() -> dict:
        async def recipes() -> list[dict]:
            return [recipe_row(recipe) async for recipe in recipes_query(user)]

        async def stock() -> list[dict]:
            return [ingredient_row(i) async for i in Ingredient.objects.order_by("name")]

        recipe_rows, ingredient_rows = await asyncio.gather(recipes(), stock())
        return {"recipes": recipe_rows, "ingredients": ingredient_rows}

    return compute


async def _price_refs(version: int | None) -> list[IngredientRef]:
    async def compute() -> list[list[str]]:
        return [list(pair) async for pair in ingredient_refs()]

    return [IngredientRef(*pair) for pair in await memo.get("price-refs", version, compute)]


async def _gather(user) -> tuple[Memo, dict]:
    """The (cached) recipe and stock tables and the live price check, concurrently."""
    version = await memo.version()

    async def live() -> dict:
        return await _live_check(await _price_refs(version), settings.PRICE_LIVE_BUDGET)

    return await asyncio.gather(memo.entry(tables_name(user), version, _tables_compute(user)), live())


async def dashboard_parts(*, user) -> tuple[str, dict]:
    """The dashboard's tables as HTML (rendered once per data version and user) and the live check."""
    tables, live_prices = await _gather(user)
    return tables_html(tables), live_prices


def tables_html(tables: Memo) -> str:
    return tables.derive("dashboard-html", lambda value: render_to_string("kitchen/_dashboard_tables.html", value))


async def kitchen_overview_json(*, user) -> bytes:
    """The same overview as JSON: the tables' text is spliced in as kept, not encoded per request."""
    tables, live_prices = await _gather(user)
    return overview_json(tables.text, live_prices)


def overview_json(tables_text: bytes, live_prices: dict) -> bytes:
    """{"generated_at": now, "recipes": [...], "ingredients": [...], "live_prices": {...}} in JSON."""
    head = encode({"generated_at": datetime.now(tz=UTC).isoformat()})
    return b"".join((head[:-1], b", ", tables_text[1:-1], b', "live_prices": ', encode(live_prices), b"}"))
