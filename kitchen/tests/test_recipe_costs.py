"""Recipe costs pushed to each recipe's own topic: the event, who gets one, and at what query cost."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.redis_clients import key, sync_client
from kitchen.pricing.costing import recipe_cost_event
from kitchen.pricing.providers import PriceQuote
from kitchen.pricing.services import prices_record, recipe_topic
from kitchen.selectors import recipes_for_costing
from kitchen.services import LineInput, recipe_update
from kitchen.tests.factories import IngredientFactory, RecipeFactory, RecipeIngredientFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 16, 9, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 17, 9, tzinfo=UTC)


class RecipeTopics:
    """A subscriber to every recipe topic on the real Redis, as a server process's hub would be."""

    def __init__(self) -> None:
        self.prefix = key("rt", "")
        self.pubsub = sync_client().pubsub()
        self.pubsub.psubscribe(key("rt", "recipe.*"))
        confirmation = self.pubsub.get_message(timeout=5)
        assert confirmation is not None
        assert confirmation["type"] == "psubscribe"

    def heard(self) -> dict[str, dict]:
        """Every event published since the last call, by topic (the last one per topic)."""
        events = {}
        while (message := self.pubsub.get_message(timeout=0.3)) is not None:
            events[message["channel"].decode().removeprefix(self.prefix)] = json.loads(message["data"])
        return events

    def close(self) -> None:
        self.pubsub.close()


@pytest.fixture
def topics():
    listener = RecipeTopics()
    yield listener
    listener.close()


def butter_at(price: str, *, when: datetime = TUESDAY) -> PriceQuote:
    return PriceQuote(ingredient="Butter", price=Decimal(price), currency="EUR", unit="kg", observed_at=when,
                      source="test")  # fmt: skip


def with_butter(butter, *, grams: str = "200", servings: int = 4):
    recipe = RecipeFactory(servings=servings)
    RecipeIngredientFactory(recipe=recipe, ingredient=butter, quantity=Decimal(grams), unit="g", position=1)
    return recipe


@pytest.fixture
def butter():
    return IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"), priced_at=MONDAY)


class TestTheCostEvent:
    def test_totals_the_price_used_per_line_and_why_a_line_cannot_be_costed(self, butter):
        eggs = IngredientFactory(name="Egg", unit="piece", current_price=Decimal("0.30"))
        recipe = with_butter(butter, grams="250")
        RecipeIngredientFactory(recipe=recipe, ingredient=eggs, quantity=Decimal("100"), unit="g", position=2,
                                note="beaten")  # fmt: skip

        event = recipe_cost_event(recipes_for_costing(recipe_ids=[recipe.pk]).get())

        assert {k: v for k, v in event.items() if k != "lines"} == {
            "type": "cost", "recipe": recipe.pk, "servings": 4, "currency": "EUR", "total": "2.50",
            "per_serving": "0.63", "complete": False, "uncosted_lines": 1, "oldest_price_at": MONDAY.isoformat(),
        }  # fmt: skip
        butter_line, egg_line = event["lines"]
        assert butter_line | {"id": 0} == {
            "id": 0, "position": 1, "ingredient_id": butter.pk, "ingredient": "Butter", "quantity": "250",
            "unit": "g", "note": "", "cost": "2.50", "price": "10.0000", "price_unit": "kg",
            "priced_at": MONDAY.isoformat(), "problem": "",
        }  # fmt: skip
        assert (egg_line["cost"], egg_line["price"], egg_line["priced_at"]) == (None, None, None)
        assert egg_line["problem"] == "can't cost this line: g of an ingredient sold by piece"
        assert egg_line["note"] == "beaten"


class TestRecordingPricesPublishesRecipeCosts:
    def test_each_recipe_using_a_changed_ingredient_hears_its_own_new_cost(
        self, butter, topics, django_capture_on_commit_callbacks
    ):
        sauce, pastry = with_butter(butter, grams="200"), with_butter(butter, grams="500", servings=10)
        bread = RecipeIngredientFactory(ingredient=IngredientFactory(name="Flour")).recipe

        with django_capture_on_commit_callbacks(execute=True):
            prices_record(quotes=[butter_at("15")])
        heard = topics.heard()
        assert set(heard) == {recipe_topic(sauce.pk), recipe_topic(pastry.pk)}  # not the bread, no kitchen-wide topic
        assert recipe_topic(bread.pk) not in heard
        sauce_cost, pastry_cost = heard[recipe_topic(sauce.pk)], heard[recipe_topic(pastry.pk)]
        assert (sauce_cost["total"], sauce_cost["per_serving"]) == ("3.00", "0.75")
        assert (pastry_cost["total"], pastry_cost["per_serving"]) == ("7.50", "0.75")
        assert sauce_cost["lines"][0]["priced_at"] == TUESDAY.isoformat()

    def test_nothing_is_published_when_no_price_moved_or_before_the_commit(
        self, butter, topics, django_capture_on_commit_callbacks
    ):
        with_butter(butter)
        with django_capture_on_commit_callbacks(execute=True):
            prices_record(quotes=[butter_at("15", when=datetime(2026, 11, 1, tzinfo=UTC))])  # older than Monday's
        assert topics.heard() == {}

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            prices_record(quotes=[butter_at("15")])
        assert callbacks
        assert topics.heard() == {}  # the transaction has not committed

    @pytest.mark.parametrize("recipes", [1, 12])
    def test_the_queries_do_not_grow_with_the_recipes(
        self, butter, topics, recipes, django_capture_on_commit_callbacks
    ):
        for _ in range(recipes):
            recipe = with_butter(butter)
            RecipeIngredientFactory(recipe=recipe, position=2)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            prices_record(quotes=[butter_at("15")])

        with CaptureQueriesContext(connection) as queries:
            for callback in callbacks:
                callback()

        assert len(topics.heard()) == recipes
        assert len(queries) == 2, [q["sql"] for q in queries]  # the recipes, then their lines with ingredients


class TestEditingARecipePublishesItsCost:
    def test_new_lines_or_servings_publish_the_cost_after_the_commit(
        self, butter, topics, django_capture_on_commit_callbacks
    ):
        recipe = with_butter(butter)
        with django_capture_on_commit_callbacks(execute=True):
            recipe_update(recipe=recipe, fields={"servings": 2},
                          lines=[LineInput(ingredient=butter, quantity=Decimal("300"), unit="g")])  # fmt: skip
        event = topics.heard()[recipe_topic(recipe.pk)]
        assert (event["total"], event["per_serving"], event["servings"]) == ("3.00", "1.50", 2)
        assert [line["quantity"] for line in event["lines"]] == ["300"]

    def test_a_new_name_changes_no_cost_and_publishes_nothing(self, butter, topics, django_capture_on_commit_callbacks):
        recipe = with_butter(butter)
        with django_capture_on_commit_callbacks(execute=True):
            recipe_update(recipe=recipe, fields={"name": "Beurre noisette"})
        assert topics.heard() == {}
