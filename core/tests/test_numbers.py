"""How money and unit prices read on pages (the JavaScript twin is held to the same table in a browser test)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from core.numbers import money_text, unit_price_text

# value as stored or sent in JSON -> (money, unit price)
CASES = [
    ("9.8000", "9.80", "9.80"),
    ("9.8", "9.80", "9.80"),
    ("24", "24.00", "24.00"),
    ("2.345", "2.35", "2.35"),  # half up, not to even
    ("2.3449", "2.34", "2.34"),
    ("1234.5", "1234.50", "1234.50"),
    ("0.0042", "0.00", "0.0042"),
    ("0.0098", "0.01", "0.0098"),
    ("0.3200", "0.32", "0.32"),
    ("0.5", "0.50", "0.50"),
    ("0.123", "0.12", "0.123"),
    ("0.00005", "0.00", "0.0001"),
    ("0.99996", "1.00", "1.00"),
    ("1.005", "1.01", "1.01"),
    ("0", "0.00", "0.00"),
]


class TestMoneyAndUnitPriceText:
    @pytest.mark.parametrize(("value", "money", "unit_price"), CASES)
    def test_strings_and_decimals_read_the_same(self, value, money, unit_price):
        assert money_text(value) == money
        assert money_text(Decimal(value)) == money
        assert unit_price_text(value) == unit_price
        assert unit_price_text(Decimal(value)) == unit_price

    @pytest.mark.parametrize("value", [None, "", "abc", "NaN", "Infinity"])
    def test_no_value_or_nonsense_reads_as_nothing(self, value):
        assert money_text(value) == ""
        assert unit_price_text(value) == ""


class TestTemplateFilters:
    def test_money_and_unit_price_filters(self):
        template = Template("{% load brigade %}{{ total|money }} EUR · {{ price|unit_price }} EUR/{{ unit }}")
        html = template.render(Context({"total": Decimal("12.5"), "price": "0.0098", "unit": "g"}))
        assert html == "12.50 EUR · 0.0098 EUR/g"
