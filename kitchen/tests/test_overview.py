"""The async overview and dashboard (and the benchmark's sync twins): data, time budget, failures, auth."""

from __future__ import annotations

import json
import time
from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kitchen.models import Recipe
from kitchen.tests.conftest import FEED
from kitchen.tests.factories import ChefFactory, IngredientFactory, RecipeFactory, RecipeIngredientFactory
from kitchen.tests.stub_http import Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def kitchen(chef):
    butter = IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"))
    mine = RecipeFactory(owner=chef, name="Beurre blanc", servings=4)
    RecipeIngredientFactory(recipe=mine, ingredient=butter, quantity=Decimal("200"), unit="g", position=1)
    RecipeFactory(owner=ChefFactory(), name="Someone's draft", status=Recipe.Status.DRAFT)
    return mine


# The sync twins live in bench/ and are routed only by its URLconf, which also routes Brigade's.
@pytest.mark.urls("bench.sync_twins.urls")
@pytest.mark.parametrize("path", ["/recipes/overview/", "/recipes/overview/sync/"])
class TestOverviewJson:
    def test_recipes_costs_stock_and_live_prices(self, chef_client, kitchen, feed, settings, path):
        settings.PRICE_LIVE_BUDGET = 10  # this test is about the data, not the time budget
        body = chef_client.get(path).json()
        assert [r["name"] for r in body["recipes"]] == ["Beurre blanc"]
        assert body["recipes"][0]["cost"]["total"] == "2.00"
        assert body["recipes"][0]["cost"]["per_serving"] == "0.50"
        assert body["recipes"][0]["chef"] == str(kitchen.owner)
        assert body["recipes"][0]["url"] == f"/recipes/{body['recipes'][0]['id']}/"
        assert body["ingredients"][0]["price"] == "10.0000"
        assert body["ingredients"][0]["stock"] == "10"  # never "1E+1"
        assert body["live_prices"]["status"] == "ok"
        assert body["live_prices"]["quotes"]["butter"]["price"] == "12.5000"

    def test_a_slow_provider_is_cut_off_at_the_budget(self, chef_client, kitchen, feed, settings, path):
        settings.PRICE_LIVE_BUDGET = 0.2
        feed.replies["/prices.json"] = Reply(body=json.dumps(FEED).encode(), delay=2.0)
        started = time.monotonic()
        body = chef_client.get(path).json()
        elapsed = time.monotonic() - started
        assert body["live_prices"]["status"] == "timeout"
        assert body["recipes"][0]["cost"]["total"] == "2.00"  # from stored prices
        assert elapsed < 2.0, "the page waited for the slow provider"

    def test_a_broken_provider_is_reported_not_raised(self, chef_client, kitchen, feed, path):
        feed.replies["/prices.json"] = Reply(body=b"<html>oops</html>", content_type="text/html")
        body = chef_client.get(path).json()
        assert body["live_prices"]["status"] == "error"
        assert "JSON" in body["live_prices"]["detail"]

    def test_anonymous_requests_get_401_json(self, client, path):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json() == {"error": "authentication required"}


@pytest.mark.urls("bench.sync_twins.urls")
@pytest.mark.parametrize("path", ["/recipes/dashboard/", "/recipes/dashboard/sync/"])
class TestDashboard:
    def test_dashboard_renders_costs_and_says_when_the_live_check_timed_out(
        self, chef_client, kitchen, feed, settings, path
    ):
        settings.PRICE_LIVE_BUDGET = 0.2
        feed.replies["/prices.json"] = Reply(body=b"[]", delay=2.0)
        body = chef_client.get(path).content.decode()
        assert "Beurre blanc" in body
        assert "2.00 EUR" in body
        assert "timed out" in body
        assert "Someone&#x27;s draft" not in body


def test_recipe_page_shows_cost_and_marks_lines_it_cannot_cost(chef_client, chef):
    eggs = IngredientFactory(name="Egg", unit="piece", current_price=Decimal("0.30"))
    recipe = RecipeFactory(owner=chef, servings=2)
    RecipeIngredientFactory(recipe=recipe, ingredient=eggs, quantity=Decimal("2"), unit="piece", position=1)
    RecipeIngredientFactory(recipe=recipe, ingredient=eggs, quantity=Decimal("50"), unit="g", position=2)
    body = chef_client.get(reverse("kitchen:recipe-detail", args=[recipe.pk])).content.decode()
    assert "0.60 EUR" in body
    assert "can&#x27;t cost this line" in body
    assert "(incomplete)" in body


def test_the_cached_overview_follows_price_and_recipe_changes(
    chef_client, kitchen, feed, django_capture_on_commit_callbacks
):
    from datetime import UTC, datetime

    from kitchen.pricing.providers import PriceQuote
    from kitchen.pricing.services import prices_record

    url = reverse("kitchen:overview")
    assert chef_client.get(url).json()["recipes"][0]["cost"]["total"] == "2.00"
    with django_capture_on_commit_callbacks(execute=True):
        prices_record(quotes=[PriceQuote(ingredient="Butter", price=Decimal("20"), currency="EUR", unit="kg",
                                         observed_at=datetime.now(tz=UTC), source="test")])  # fmt: skip
    assert chef_client.get(url).json()["recipes"][0]["cost"]["total"] == "4.00"
    with django_capture_on_commit_callbacks(execute=True):
        kitchen.name = "Beurre rouge"
        kitchen.save()
    assert chef_client.get(url).json()["recipes"][0]["name"] == "Beurre rouge"


def test_the_spliced_json_overview_is_the_overview():
    from core.memo import encode
    from kitchen.overview import overview_json

    tables = {"recipes": [{"id": 1, "name": "Beurre blanc \u2014 \"fin\"", "cost": {"total": "2.00"}}],
              "ingredients": [{"id": 2, "name": "Butter", "price": None}]}  # fmt: skip
    live = {"status": "ok", "detail": "feed", "quotes": {"butter": {"price": "12.5000"}}}
    spliced = json.loads(overview_json(encode(tables), live))
    assert list(spliced) == ["generated_at", "recipes", "ingredients", "live_prices"]
    assert {**spliced, "generated_at": None} == {"generated_at": None, **tables, "live_prices": live}
    assert datetime.fromisoformat(spliced["generated_at"]).tzinfo is not None


def test_the_dashboard_tables_are_rendered_once_per_data_version(
    chef_client, kitchen, feed, django_capture_on_commit_callbacks, monkeypatch
):
    from kitchen import overview

    renders = []
    real_render = overview.render_to_string
    monkeypatch.setattr(overview, "render_to_string", lambda *a, **k: (renders.append(a[0]), real_render(*a, **k))[1])
    url = reverse("kitchen:dashboard")
    assert "2.00 EUR" in chef_client.get(url).content.decode()
    assert "2.00 EUR" in chef_client.get(url).content.decode()
    assert renders == ["kitchen/_dashboard_tables.html"]
    with django_capture_on_commit_callbacks(execute=True):
        kitchen.recipe_ingredients.update(quantity=Decimal("400"))
        kitchen.save()  # a recipe change bumps the data version
    assert "4.00 EUR" in chef_client.get(url).content.decode()
    assert len(renders) == 2


def test_production_urls_route_no_benchmark_views(chef_client, kitchen):
    assert chef_client.get("/recipes/overview/sync/").status_code == 404
    assert chef_client.get("/recipes/dashboard/sync/").status_code == 404
