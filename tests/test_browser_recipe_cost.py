"""While a recipe's page is open, a price is recorded and the lines edited: its cost table follows, no reload."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kitchen.models import Recipe
from kitchen.pricing.providers import PriceQuote
from kitchen.pricing.services import prices_record
from kitchen.services import LineInput, recipe_update
from kitchen.tests.factories import ChefFactory, IngredientFactory, RecipeFactory, RecipeIngredientFactory
from tests.test_browser_shell import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_recorded_price_moves_the_open_recipe_page_cost(page, live_server_url):
    # Given a draft shared with a collaborator: 200 g of butter at 10 EUR/kg, and eggs by weight
    owner, collaborator = ChefFactory(), ChefFactory()
    butter = IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"))
    eggs = IngredientFactory(name="Egg", unit="piece", current_price=Decimal("0.30"))
    recipe = RecipeFactory(owner=owner, name="Beurre blanc", servings=4, status=Recipe.Status.DRAFT)
    recipe.collaborators.add(collaborator)
    RecipeIngredientFactory(recipe=recipe, ingredient=butter, quantity=Decimal("200"), unit="g", position=1)
    RecipeIngredientFactory(recipe=recipe, ingredient=eggs, quantity=Decimal("100"), unit="g", position=2)

    log_in(page, live_server_url, collaborator.user.username)
    page.wait_for_url(f"{live_server_url}/recipes/")
    page.goto(f"{live_server_url}/recipes/{recipe.pk}/")
    page.wait_for_selector("#connection-state[data-state=open]")
    table = page.locator("#recipe-cost")
    total, per_serving = table.locator("[data-field=total]"), table.locator("[data-field=per_serving]")
    assert total.text_content() == "2.00 EUR"
    page.evaluate("window.__marker = 'same page'")

    # When the butter's price is recorded
    prices_record(quotes=[PriceQuote(ingredient="Butter", price=Decimal("15"), currency="EUR", unit="kg",
                                     observed_at=datetime.now(tz=UTC), source="test")])  # fmt: skip

    # Then the total, the cost per serving and the butter line move; the eggs still can't be costed
    total.filter(has_text="3.00 EUR").wait_for()
    assert per_serving.text_content() == "0.75 EUR"
    butter_cost = table.locator("tbody tr").nth(0).locator("[data-field=cost]")
    assert butter_cost.text_content() == "3.00"
    assert butter_cost.get_attribute("title").startswith("15.00 EUR/kg, priced ")
    assert "can't cost" in table.locator("tbody tr").nth(1).text_content()
    assert table.locator("[data-field=total_label]").text_content() == "Total (incomplete)"

    # And when a chef edits the lines, the table is drawn again from the new ones
    recipe_update(recipe=recipe, fields={"servings": 2},
                  lines=[LineInput(ingredient=butter, quantity=Decimal("300"), unit="g", note="cold")])  # fmt: skip
    total.filter(has_text="4.50 EUR").wait_for()
    assert table.locator("tbody tr").count() == 1
    assert table.locator("tbody tr [data-field=note]").text_content() == "cold"
    assert table.locator("[data-field=servings]").text_content() == "Per serving (2)"
    assert table.locator("[data-field=total_label]").text_content() == "Total"
    assert page.evaluate("window.__marker") == "same page"  # no reload happened
