"""Providers against recorded fixtures on a local stub server; units; costing; recording."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from kitchen.models import Ingredient, IngredientPrice
from kitchen.pricing.costing import recipe_cost
from kitchen.pricing.providers import (
    HttpFeed,
    IngredientRef,
    OfflinePriceList,
    OpenPrices,
    PriceQuote,
    ProviderError,
)
from kitchen.pricing.services import prices_record
from kitchen.pricing.units import convert
from kitchen.tests.factories import IngredientFactory, RecipeFactory, RecipeIngredientFactory
from kitchen.tests.stub_http import Reply, StubServer

FIXTURES = Path(__file__).parent / "fixtures"
BUTTER = [IngredientRef("Butter", "en:butter")]


@pytest.fixture
def stub():
    server = StubServer()
    server.base = server.start()
    yield server
    server.stop()


def quote(name="Butter", price="10", unit="kg", days_ago=0, source="test", currency="EUR") -> PriceQuote:
    return PriceQuote(
        ingredient=name,
        price=Decimal(price),
        currency=currency,
        unit=unit,
        observed_at=datetime(2026, 11, 20, tzinfo=UTC) - timedelta(days=days_ago),
        source=source,
    )


class TestUnits:
    @pytest.mark.parametrize(
        ("quantity", "from_unit", "to_unit", "expected"),
        [
            ("250", "g", "kg", "0.25"),
            ("1.5", "l", "ml", "1500"),
            ("3", "tsp", "tbsp", "1"),
            ("16", "pinch", "tsp", "1"),
        ],
    )
    def test_conversions(self, quantity, from_unit, to_unit, expected):
        assert convert(Decimal(quantity), from_unit, to_unit).quantize(Decimal("0.0001")) == Decimal(expected)

    @pytest.mark.parametrize(("from_unit", "to_unit"), [("g", "piece"), ("piece", "ml"), ("g", "ml"), ("g", "parsec")])
    def test_impossible_conversions_are_none(self, from_unit, to_unit):
        assert convert(Decimal(1), from_unit, to_unit) is None


class TestOpenPrices:
    async def test_reads_the_newest_valid_category_price(self, stub):
        stub.replies["/api/v1/prices"] = Reply(body=(FIXTURES / "open_prices_butter.json").read_bytes())
        result = await OpenPrices(stub.base).fetch(ingredients=BUTTER)
        assert [(q.ingredient, q.price, q.unit, q.currency) for q in result.quotes] == [
            ("Butter", Decimal("11.9000"), "kg", "EUR")
        ]
        assert result.quotes[0].observed_at.date().isoformat() == "2026-11-18"
        query = parse_qs(urlsplit(stub.hits[0]).query)
        assert query["category_tag"] == ["en:butter"]

    async def test_garbage_items_are_rejected_one_by_one(self, stub):
        stub.replies["/api/v1/prices"] = Reply(body=(FIXTURES / "open_prices_garbage.json").read_bytes())
        result = await OpenPrices(stub.base).fetch(ingredients=[IngredientRef("Lemon", "en:lemons")])
        assert result.quotes == []
        reasons = " | ".join(result.rejected)
        for reason in ("not positive", "not finite", "absurd", "bad currency", "missing observation date"):
            assert reason in reasons

    async def test_a_non_json_body_is_a_provider_error(self, stub):
        stub.replies["/api/v1/prices"] = Reply(body=b"<html>maintenance</html>", content_type="text/html")
        with pytest.raises(ProviderError, match="JSON"):
            await OpenPrices(stub.base).fetch(ingredients=BUTTER)

    async def test_server_errors_are_retried_a_bounded_number_of_times(self, stub):
        stub.replies["/api/v1/prices"] = Reply(status=503, body=b"{}")
        with pytest.raises(ProviderError, match="503"):
            await OpenPrices(stub.base).fetch(ingredients=BUTTER)
        assert len(stub.hits) == 3

    async def test_a_down_provider_is_a_provider_error(self):
        with pytest.raises(ProviderError, match="unreachable"):
            await OpenPrices("http://127.0.0.1:9").fetch(ingredients=BUTTER)

    async def test_a_slow_provider_times_out(self, stub, settings):
        settings.PRICE_HTTP_TIMEOUT = 0.2
        stub.replies["/api/v1/prices"] = Reply(body=b'{"items": []}', delay=1.0)
        from kitchen.pricing.providers import close_http_client

        await close_http_client()  # the next client is built with the short timeout
        try:
            with pytest.raises(ProviderError, match="timed out"):
                await OpenPrices(stub.base).fetch(ingredients=BUTTER)
        finally:
            await close_http_client()


class TestFeeds:
    async def test_json_feed(self, stub):
        records = [
            {"ingredient": "Butter", "price": "9.5", "currency": "EUR", "unit": "kg", "observed_at": "2026-11-19"},
            {"ingredient": "Butter", "price": 0, "currency": "EUR", "unit": "kg", "observed_at": "2026-11-19"},
            {"ingredient": "Butter", "price": 1e400, "currency": "EUR", "unit": "kg", "observed_at": "2026-11-19"},
            {"ingredient": "Butter", "currency": "EUR", "unit": "kg", "observed_at": "2026-11-19"},
            {"ingredient": "Unrelated", "price": "1", "currency": "EUR", "unit": "kg", "observed_at": "2026-11-19"},
            # Out of a database's range once in UTC:
            {
                "ingredient": "Butter",
                "price": "1",
                "currency": "EUR",
                "unit": "kg",
                "observed_at": "0001-01-01T00:00+12:00",
            },
        ]  # fmt: skip
        stub.replies["/feed.json"] = Reply(body=json.dumps({"prices": records}).encode())
        result = await HttpFeed(f"{stub.base}/feed.json").fetch(ingredients=BUTTER)
        assert [q.price for q in result.quotes] == [Decimal("9.5000")]
        assert len(result.rejected) == 4

    async def test_csv_feed(self, stub):
        body = "ingredient,price,currency,unit,observed_at\nButter,8.75,EUR,kg,2026-11-19T08:00:00Z\n"
        stub.replies["/feed.csv"] = Reply(body=body.encode(), content_type="text/csv")
        result = await HttpFeed(f"{stub.base}/feed.csv", fmt="csv").fetch(ingredients=BUTTER)
        assert result.quotes[0].price == Decimal("8.7500")
        assert result.quotes[0].observed_at.hour == 8

    async def test_a_json_feed_that_is_not_a_list(self, stub):
        stub.replies["/feed.json"] = Reply(body=b'{"prices": "soon"}')
        with pytest.raises(ProviderError):
            await HttpFeed(f"{stub.base}/feed.json").fetch(ingredients=BUTTER)

    async def test_the_bundled_list_prices_the_demo_ingredients(self):
        result = await OfflinePriceList().fetch(ingredients=[IngredientRef("butter"), IngredientRef("Egg")])
        assert {q.ingredient for q in result.quotes} == {"Butter", "Egg"}
        assert result.rejected == []


@pytest.mark.django_db
class TestRecording:
    def test_prices_are_converted_to_the_stock_unit_and_kept_as_history(self):
        butter = IngredientFactory(name="Butter", unit="g", current_price=None, priced_at=None)
        result = prices_record(quotes=[quote(price="9.80", unit="kg")])
        butter.refresh_from_db()
        assert butter.current_price == Decimal("0.0098")
        assert result.changed == [butter.pk]
        assert IngredientPrice.objects.get(ingredient=butter).price == Decimal("9.8000")

    def test_recording_the_same_observation_twice_changes_nothing(self):
        IngredientFactory(name="Butter", unit="kg", current_price=None, priced_at=None)
        prices_record(quotes=[quote()])
        again = prices_record(quotes=[quote()])
        assert again.changed == []
        assert again.recorded == 0
        assert IngredientPrice.objects.count() == 1

    def test_an_older_observation_does_not_replace_a_newer_price(self):
        butter = IngredientFactory(name="Butter", unit="kg", current_price=None, priced_at=None)
        prices_record(quotes=[quote(price="10")])
        prices_record(quotes=[quote(price="99", days_ago=5, source="other")])
        butter.refresh_from_db()
        assert butter.current_price == Decimal("10.0000")
        assert IngredientPrice.objects.filter(ingredient=butter).count() == 2

    def test_an_unconvertible_quote_is_skipped_and_the_last_good_price_kept(self):
        egg = IngredientFactory(name="Egg", unit="piece", current_price=Decimal("0.30"))
        result = prices_record(quotes=[quote(name="egg", unit="kg", price="5")])
        egg.refresh_from_db()
        assert egg.current_price == Decimal("0.30")
        assert "cannot convert" in result.skipped[0]


@pytest.mark.django_db
class TestCosting:
    def test_cost_total_per_serving_and_oldest_price(self):
        old = datetime(2026, 11, 1, tzinfo=UTC)
        butter = IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"), priced_at=old)
        wine = IngredientFactory(name="Wine", unit="l", current_price=Decimal("6"))
        recipe = RecipeFactory(servings=4)
        RecipeIngredientFactory(recipe=recipe, ingredient=butter, quantity=Decimal("250"), unit="g", position=1)
        RecipeIngredientFactory(recipe=recipe, ingredient=wine, quantity=Decimal("150"), unit="ml", position=2)

        cost = recipe_cost(recipe)

        assert cost.total == Decimal("3.40")
        assert cost.per_serving == Decimal("0.85")
        assert cost.complete is True
        assert cost.oldest_price_at == old

    def test_impossible_and_unpriced_lines_are_marked_not_crashed(self):
        eggs = IngredientFactory(name="Egg", unit="piece", current_price=Decimal("0.30"))
        saffron = IngredientFactory(name="Saffron", unit="g", current_price=None, priced_at=None)
        recipe = RecipeFactory(servings=2)
        RecipeIngredientFactory(recipe=recipe, ingredient=eggs, quantity=Decimal("100"), unit="g", position=1)
        RecipeIngredientFactory(recipe=recipe, ingredient=saffron, quantity=Decimal("1"), unit="g", position=2)
        RecipeIngredientFactory(recipe=recipe, ingredient=eggs, quantity=Decimal("2"), unit="piece", position=3)

        cost = recipe_cost(recipe)

        assert [line.problem for line in cost.lines][:2] == [
            "can't cost this line: g of an ingredient sold by piece",
            "no price yet",
        ]
        assert cost.total == Decimal("0.60")
        assert cost.complete is False
        assert cost.uncosted == 2


@pytest.mark.django_db
class TestCostingCurrency:
    """Costs are in PRICE_CURRENCY; nothing converts currencies, so a line priced in another one is not summed."""

    @pytest.fixture
    def recipe(self):
        recipe = RecipeFactory(servings=2)
        dollars = IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"), currency="USD")
        euros = IngredientFactory(name="Wine", unit="l", current_price=Decimal("6"), currency="EUR")
        RecipeIngredientFactory(recipe=recipe, ingredient=dollars, quantity=Decimal("250"), unit="g", position=1)
        RecipeIngredientFactory(recipe=recipe, ingredient=euros, quantity=Decimal("500"), unit="ml", position=2)
        return recipe

    def test_costs_are_in_the_configured_currency(self, recipe, settings):
        settings.PRICE_CURRENCY = "USD"
        cost = recipe_cost(recipe)
        assert (cost.currency, cost.total, cost.complete) == ("USD", Decimal("2.50"), False)
        assert cost.lines[1].cost is None
        assert cost.lines[1].problem == "priced in EUR, costs are in USD"

    def test_with_the_default_currency_the_euro_line_counts(self, recipe):
        cost = recipe_cost(recipe)
        assert (cost.currency, cost.total) == ("EUR", Decimal("3.00"))
        assert cost.lines[0].problem == "priced in USD, costs are in EUR"

    def test_the_recipe_page_and_api_show_the_configured_currency(self, recipe, chef_client, settings):
        from django.test import override_settings
        from django.urls import reverse

        with override_settings(PRICE_CURRENCY="USD"):
            body = chef_client.get(reverse("kitchen:recipe-detail", args=[recipe.pk])).content.decode()
            api = chef_client.get(f"/api/recipes/{recipe.pk}").json()
        assert "2.50 USD" in body
        assert "EUR</th>" not in body
        assert "3.00" not in body
        assert api["cost"]["currency"] == "USD"
        assert api["cost"]["total"] == "2.50"  # JSON keeps Decimal strings
        assert api["ingredients"][1]["cost"] is None


@pytest.mark.django_db(transaction=True)
def test_refresh_prices_command_records_the_bundled_list():
    from django.core.management import call_command

    Ingredient.objects.create(name="Butter", unit="kg")
    call_command("refresh_prices")
    assert Ingredient.objects.get(name="Butter").current_price == Decimal("9.8000")


def test_the_pooled_client_is_closed_when_its_event_loop_ends():
    """Sync callers (asyncio.run, async_to_sync) run each call on a loop of its own."""
    import asyncio
    import threading

    from kitchen.pricing.providers import http_client

    async def use():
        return http_client()

    clients = []
    worker = threading.Thread(target=lambda: clients.append(asyncio.run(use())))  # a loop of its own
    worker.start()
    worker.join()
    assert clients[0].is_closed
