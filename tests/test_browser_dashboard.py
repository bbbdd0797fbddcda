"""Prices change while the dashboard is open: the row and the recipe cost update without a reload."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kitchen.pricing.providers import PriceQuote
from kitchen.pricing.services import prices_record
from kitchen.tests.factories import ChefFactory, IngredientFactory, RecipeFactory, RecipeIngredientFactory
from tests.test_browser_shell import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_price_refresh_updates_open_dashboards_live(page, live_server_url):
    chef = ChefFactory()
    butter = IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"))
    recipe = RecipeFactory(owner=chef, name="Beurre blanc", servings=4)
    RecipeIngredientFactory(recipe=recipe, ingredient=butter, quantity=Decimal("200"), unit="g", position=1)

    log_in(page, live_server_url, chef.user.username)
    page.wait_for_url(f"{live_server_url}/recipes/")
    page.goto(f"{live_server_url}/recipes/dashboard/")
    page.wait_for_selector("#connection-state[data-state=open]")
    total = page.locator(f'#recipe-costs tr[data-recipe-id="{recipe.pk}"] [data-field=total]')
    assert total.text_content().startswith("2.00 EUR")
    page.evaluate("window.__marker = 'same page'")

    prices_record(
        quotes=[
            PriceQuote(
                ingredient="Butter",
                price=Decimal("15"),
                currency="EUR",
                unit="kg",
                observed_at=datetime.now(tz=UTC),
                source="test",
            )
        ]
    )

    price = page.locator(f'#ingredient-prices tr[data-ingredient-id="{butter.pk}"] [data-field=price]')
    price.filter(has_text="15.00 EUR/kg").wait_for()
    total.filter(has_text="3.00 EUR").wait_for()
    assert page.evaluate("window.__marker") == "same page"  # no reload happened


def test_the_ingredient_page_draws_its_history_and_updates_its_price_live(page, live_server_url):
    chef = ChefFactory()
    saffron = IngredientFactory(name="Saffron", unit="g", current_price=Decimal("9"))
    log_in(page, live_server_url, chef.user.username)
    page.wait_for_url(f"{live_server_url}/recipes/")

    # Given the ingredient page, reached from the dashboard
    page.goto(f"{live_server_url}/recipes/dashboard/")
    page.get_by_role("link", name="Saffron").click()
    page.wait_for_url(f"{live_server_url}/recipes/ingredients/{saffron.pk}/")
    page.wait_for_selector("#connection-state[data-state=open]")
    assert page.locator(".price-chart").count() == 0  # nothing recorded yet: no chart

    # When a price is recorded, the current price changes in place
    prices_record(quotes=[PriceQuote(ingredient="Saffron", price=Decimal("11"), currency="EUR", unit="g",
                                     observed_at=datetime.now(tz=UTC), source="test")])  # fmt: skip
    page.locator("[data-field=price]").filter(has_text="11.00 EUR/g").wait_for()

    # And after a reload the history and its chart show it
    page.reload()
    assert page.locator(".price-chart .dot").count() == 1
    assert "11.00 EUR/g" in page.locator("table").nth(1).text_content()
