"""The ingredient page: current price, history and a chart drawn on one scale."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from kitchen.charts import price_chart
from kitchen.models import IngredientPrice
from kitchen.selectors import ingredients_with_history
from kitchen.tests.factories import IngredientFactory

pytestmark = pytest.mark.django_db


def observe(ingredient, day: int, price: str, *, unit: str = "kg", currency: str = "EUR", source: str = "test"):
    return IngredientPrice.objects.create(
        ingredient=ingredient, price=Decimal(price), unit=unit, currency=currency, source=source,
        observed_at=datetime(2026, 11, day, tzinfo=UTC),
    )  # fmt: skip


def chart_for(ingredient):
    return price_chart(ingredients_with_history().get(pk=ingredient.pk))


def test_the_chart_puts_every_observation_on_the_stock_units_scale():
    butter = IngredientFactory(name="Butter", unit="g", currency="EUR")
    observe(butter, 1, "10", unit="kg")  # 0.0100 per g
    observe(butter, 11, "0.0125", unit="g")
    observe(butter, 21, "9", unit="kg")  # 0.0090 per g, the lowest
    observe(butter, 25, "1", unit="piece")  # does not convert to grams: left out
    observe(butter, 26, "99", currency="USD")  # another currency: left out
    chart = chart_for(butter)
    assert (chart.count, chart.low, chart.high, chart.unit) == (3, Decimal("0.0090"), Decimal("0.0125"), "g")
    xs = [x for x, _ in chart.dots]
    assert xs == sorted(xs)
    assert xs[0] == 12
    assert xs[-1] == 640 - 12
    ys = dict(zip([1, 11, 21], [y for _, y in chart.dots], strict=True))
    assert ys[11] == 12
    assert ys[21] == 200 - 12


def test_no_chart_without_prices_and_a_flat_line_for_one():
    salt = IngredientFactory(name="Salt", unit="g", currency="EUR")
    assert chart_for(salt) is None
    observe(salt, 3, "1", unit="kg")
    chart = chart_for(salt)
    assert chart.count == 1
    assert chart.dots == [(320.0, 100.0)]


def test_the_page_shows_price_history_and_chart_and_escapes_sources(chef_client):
    butter = IngredientFactory(name="Butter", unit="kg", currency="EUR", current_price=Decimal("12.5"))
    observe(butter, 1, "10", source="<img src=x onerror=alert(1)>")
    observe(butter, 2, "12.5")
    body = chef_client.get(reverse("kitchen:ingredient-detail", args=[butter.pk])).content.decode()
    assert "12.50 EUR/kg" in body  # money reads to the cent, not "12.5000"
    assert "12.5000" not in body
    assert len(re.findall(r'<line class="dot"', body)) == 2
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<img src=x" not in body
    assert f'data-ingredient-id="{butter.pk}"' in body  # the live price update finds its row


def test_unknown_ingredients_are_404_and_visitors_must_log_in(chef_client):
    from django.test import Client

    assert chef_client.get(reverse("kitchen:ingredient-detail", args=[999999])).status_code == 404
    butter = IngredientFactory(name="Butter")
    response = Client().get(reverse("kitchen:ingredient-detail", args=[butter.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_dashboard_links_each_ingredient_to_its_page(chef_client):
    butter = IngredientFactory(name="Butter")
    body = chef_client.get(reverse("kitchen:dashboard")).content.decode()
    assert f'href="{reverse("kitchen:ingredient-detail", args=[butter.pk])}"' in body
