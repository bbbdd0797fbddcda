"""The overview and dashboard as a sync view would do them: the same cached tables, one step after another.

Only for bench/async_views.py's side-by-side comparison; never routed in production.
"""

from __future__ import annotations

import asyncio

from django.conf import settings

from core.memo import Memo
from kitchen.models import Ingredient
from kitchen.overview import (
    ingredient_refs,
    ingredient_row,
    live_report,
    memo,
    overview_json,
    recipe_row,
    recipes_query,
    tables_html,
    tables_name,
)
from kitchen.pricing.providers import IngredientRef, ProviderError, close_http_client, configured_provider


def _tables_compute_sync(user):
    def compute() -> dict:
        return {
            "recipes": [recipe_row(recipe) for recipe in recipes_query(user)],
            "ingredients": [ingredient_row(i) for i in Ingredient.objects.order_by("name")],
        }

    return compute


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


def _gather_sync(user) -> tuple[Memo, dict]:
    """The same work as _gather, one step after another, as a sync view would do it (same cached tables)."""
    version = memo.version_sync()
    tables = memo.entry_sync(tables_name(user), version, _tables_compute_sync(user))
    pairs = memo.entry_sync("price-refs", version, lambda: [list(pair) for pair in ingredient_refs()]).value
    refs = [IngredientRef(*pair) for pair in pairs]
    return tables, _live_check_sync(refs, settings.PRICE_LIVE_BUDGET)


def dashboard_parts_sync(*, user) -> tuple[str, dict]:
    tables, live_prices = _gather_sync(user)
    return tables_html(tables), live_prices


def kitchen_overview_json_sync(*, user) -> bytes:
    tables, live_prices = _gather_sync(user)
    return overview_json(tables.text, live_prices)
