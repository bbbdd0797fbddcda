"""What a new user sees, in a real browser: the phone menu, tables that keep apart, numbers that read the same."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.numbers import money_text, unit_price_text
from core.tests.test_numbers import CASES
from kitchen.tests.factories import ChefFactory, IngredientFactory, RecipeFactory, RecipeIngredientFactory
from tests.test_browser_shell import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.fixture
def signed_in(browser, live_server_url):
    """A page of the given width, logged in as a chef of a kitchen with long names and small prices."""
    chef = ChefFactory(user__first_name="Anne-Sophie", user__last_name="de la Tour-Marchand")
    saffron = IngredientFactory(name="Saffron threads (La Mancha)", unit="g", current_price=Decimal("0.0042"))
    for n in range(6):
        recipe = RecipeFactory(owner=chef, name=f"Slow-braised shoulder of lamb with saffron and preserved lemon {n}")
        RecipeIngredientFactory(recipe=recipe, ingredient=saffron, quantity=Decimal("2"), unit="g", position=1)
    contexts = []

    def open_page(width: int, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        log_in(page, live_server_url, chef.user.username)
        page.wait_for_url(f"{live_server_url}/recipes/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_on_a_phone_the_navigation_folds_behind_a_menu_button(signed_in, live_server_url):
    page = signed_in(390, 800)
    button = page.get_by_role("button", name="Menu")
    links = page.locator("#main-nav")

    # Given a phone-sized window: one row, the links folded away
    assert button.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    assert not links.is_visible()
    nav = page.locator("header nav").bounding_box()
    assert nav["height"] < 80

    # When the button is pressed from the keyboard, the links open and say so
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="Dashboard").is_visible()

    # And Escape folds them again and gives focus back to the button
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert not links.is_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-nav-toggle')")

    # And a click opens it and a link works
    button.click()
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{live_server_url}/recipes/dashboard/")


def test_on_a_wide_screen_the_links_show_and_the_button_does_not(signed_in):
    page = signed_in(1280)
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("link", name="Dashboard").is_visible()


@pytest.mark.parametrize("width", [1280, 1024, 390])
def test_the_dashboard_tables_never_run_into_each_other(signed_in, live_server_url, width):
    page = signed_in(width)
    page.goto(f"{live_server_url}/recipes/dashboard/")
    recipes = page.locator("#recipe-costs").bounding_box()
    stock = page.locator("#ingredient-prices").bounding_box()
    assert not overlap(recipes, stock), (recipes, stock)
    # A table wider than the screen scrolls inside its own box; the page itself does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert "0.0042 EUR/g" in page.locator("#ingredient-prices").text_content()
    assert "0.01 EUR" in page.locator("#recipe-costs").text_content()  # 2 g at 0.0042 to the cent


def test_the_live_formatting_reads_like_the_server(signed_in, live_server_url):
    page = signed_in(1280)
    values = [value for value, *_ in CASES] + ["", "12", "0.10"]
    formatted = page.evaluate(
        """async (values) => {
            const { formatMoney, formatUnitPrice } = await import("/static/core/format.js");
            return values.map((v) => [formatMoney(v), formatUnitPrice(v)]);
        }""",
        values,
    )
    assert formatted == [[money_text(v), unit_price_text(v)] for v in values]


def test_favicon_ico_ends_at_the_svg_icon(browser, live_server_url):
    context = browser.new_context()
    try:
        response = context.new_page().goto(f"{live_server_url}/favicon.ico")
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
    finally:
        context.close()
