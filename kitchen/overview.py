"""The kitchen overview: recipes with chefs and costs, stock, and a live market price check.

The async version gathers the three concurrently and gives the live check a strict time budget;
the sync version does the same work one step after another (kept for the side-by-side benchmark).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import NamedTuple

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse

from core.nearcache import NearCache
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


def _ingredient_refs():
    return Ingredient.objects.values_list("name", "open_prices_category")


def _version_key() -> str:
    return f"{settings.CACHES['default']['KEY_PREFIX']}:kitchen:overview-version"


_near_version = NearCache("kitchen-version", copy_value=int)


def bump_overview_version() -> None:
    """Called on commit of any change to recipes, lines, ingredients or chefs."""
    sync_client().incr(_version_key())
    _near_version.invalidate("overview")


class Memo(NamedTuple):
    version: int
    value: object
    text: bytes  # the value as JSON, exactly as kept in Redis: spliced into responses as is
    derived: dict  # values made from this one in this process (rendered HTML): dropped with it

    def derive(self, name: str, make):
        """make(value), once per entry: an entry is replaced, never changed, when the data changes."""
        if name not in self.derived:
            self.derived[name] = make(self.value)
        return self.derived[name]


class VersionedMemo:
    """Values computed once per data version: in this process's memory, then in Redis for the others.

    A request reads the version (a per-process copy, dropped when any process bumps it); while
    it is unchanged, the tables come from memory. On a new version the first request of each
    process reads Redis, and the first in the whole deployment computes and stores (concurrent
    first requests may compute twice; the result is the same). Every request gets the same
    objects: callers read them and never change them. Each value is kept with its JSON text, so
    JSON responses need not encode the tables again.
    """

    MAX_ENTRIES = 1024

    def __init__(self) -> None:
        self._values: dict[str, Memo] = {}

    async def version(self) -> int:
        """The data version: read from Redis once, then kept until a bump is announced."""

        async def load() -> int:
            return int(await hub().client.get(_version_key()) or 0)

        return await _near_version.get("overview", load)

    async def get(self, name: str, version: int, compute):
        return (await self.entry(name, version, compute)).value

    async def entry(self, name: str, version: int, compute) -> Memo:
        memo = self._values.get(name)
        if memo is not None and memo.version == version:
            return memo
        client, key = hub().client, self._key(name, version)
        text = await client.get(key)
        if text is None:
            text = _encode(await compute())
            await client.set(key, text, ex=CACHE_SECONDS)
        return self._keep(name, version, text)

    def version_sync(self) -> int:
        return int(sync_client().get(_version_key()) or 0)

    def get_sync(self, name: str, version: int, compute):
        return self.entry_sync(name, version, compute).value

    def entry_sync(self, name: str, version: int, compute) -> Memo:
        """The same memo for sync callers (the sync twins): same entries, blocking Redis calls."""
        memo = self._values.get(name)
        if memo is not None and memo.version == version:
            return memo
        client, key = sync_client(), self._key(name, version)
        text = client.get(key)
        if text is None:
            text = _encode(compute())
            client.set(key, text, ex=CACHE_SECONDS)
        return self._keep(name, version, text)

    def _key(self, name: str, version: int) -> str:
        return f"{settings.CACHES['default']['KEY_PREFIX']}:kitchen:{name}:{version}"

    def _keep(self, name: str, version: int, text: bytes | str) -> Memo:
        if len(self._values) >= self.MAX_ENTRIES:
            self._values.clear()
        text = text.encode() if isinstance(text, str) else text
        memo = self._values[name] = Memo(version, json.loads(text), text, {})
        return memo


def _encode(value) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder).encode()


memo = VersionedMemo()


def _tables_name(user) -> str:
    return f"overview:{user.pk}"


def _tables_compute(user):
    """Recipes with costs and the stock table, gathered concurrently (kept once per data version and user)."""

    async def compute() -> dict:
        async def recipes() -> list[dict]:
            return [recipe_row(recipe) async for recipe in _recipes_query(user)]

        async def stock() -> list[dict]:
            return [ingredient_row(i) async for i in Ingredient.objects.order_by("name")]

        recipe_rows, ingredient_rows = await asyncio.gather(recipes(), stock())
        return {"recipes": recipe_rows, "ingredients": ingredient_rows}

    return compute


def _tables_compute_sync(user):
    def compute() -> dict:
        return {
            "recipes": [recipe_row(recipe) for recipe in _recipes_query(user)],
            "ingredients": [ingredient_row(i) for i in Ingredient.objects.order_by("name")],
        }

    return compute


async def _price_refs(version: int) -> list[IngredientRef]:
    async def compute() -> list[list[str]]:
        return [list(pair) async for pair in _ingredient_refs()]

    return [IngredientRef(*pair) for pair in await memo.get("price-refs", version, compute)]


async def _gather(user) -> tuple[Memo, dict]:
    """The (cached) recipe and stock tables and the live price check, concurrently."""
    version = await memo.version()

    async def live() -> dict:
        return await _live_check(await _price_refs(version), settings.PRICE_LIVE_BUDGET)

    return await asyncio.gather(memo.entry(_tables_name(user), version, _tables_compute(user)), live())


async def dashboard_parts(*, user) -> tuple[str, dict]:
    """The dashboard's tables as HTML (rendered once per data version and user) and the live check."""
    tables, live_prices = await _gather(user)
    return _tables_html(tables), live_prices


def _tables_html(tables: Memo) -> str:
    return tables.derive("dashboard-html", lambda value: render_to_string("kitchen/_dashboard_tables.html", value))


async def kitchen_overview_json(*, user) -> bytes:
    """The same overview as JSON: the tables' text is spliced in as kept, not encoded per request."""
    tables, live_prices = await _gather(user)
    return _overview_json(tables.text, live_prices)


def _overview_json(tables_text: bytes, live_prices: dict) -> bytes:
    """{"generated_at": now, "recipes": [...], "ingredients": [...], "live_prices": {...}} in JSON."""
    head = _encode({"generated_at": datetime.now(tz=UTC).isoformat()})
    return b"".join((head[:-1], b", ", tables_text[1:-1], b', "live_prices": ', _encode(live_prices), b"}"))


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
    tables = memo.entry_sync(_tables_name(user), version, _tables_compute_sync(user))
    pairs = memo.get_sync("price-refs", version, lambda: [list(pair) for pair in _ingredient_refs()])
    refs = [IngredientRef(*pair) for pair in pairs]
    return tables, _live_check_sync(refs, settings.PRICE_LIVE_BUDGET)


def dashboard_parts_sync(*, user) -> tuple[str, dict]:
    tables, live_prices = _gather_sync(user)
    return _tables_html(tables), live_prices


def kitchen_overview_json_sync(*, user) -> bytes:
    tables, live_prices = _gather_sync(user)
    return _overview_json(tables.text, live_prices)
