"""Every bad amount, date, description and id gets a clear message; good ones come out exact."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from expenses import inputs


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.5", Decimal("12.50")), ("0.01", Decimal("0.01")), (" 7 ", Decimal("7.00")), ("1000000", Decimal("1000000"))],
)
def test_good_amounts_are_exact_decimals(text, expected):
    assert inputs.amount_parse(text) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("-5", "more than 0"),
        ("0", "more than 0"),
        ("0.00", "more than 0"),
        ("NaN", "as a number"),
        ("Infinity", "as a number"),
        ("1e400", "as a number"),
        ("1.234", "at most 2 decimal places"),
        ("abc", "as a number"),
        ("", "Enter the amount"),
        ("   ", "Enter the amount"),
        ("1000000.01", "at most"),
        ("1,5", "as a number"),
        (12.5, "as a string"),
        (12, "as a string"),
        (True, "as a string"),
        (None, "as a string"),
        (Decimal("NaN"), "as a number"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_message(value, words):
    with pytest.raises(ValidationError) as refused:
        inputs.amount_parse(value)
    assert words in refused.value.messages[0]


def test_dates_after_tomorrow_or_over_five_years_back_are_refused():
    today = timezone.localdate()
    assert inputs.date_parse((today + timedelta(days=1)).isoformat()) == today + timedelta(days=1)
    for day, words in [(today + timedelta(days=2), "after tomorrow"), (today - timedelta(days=5 * 366), "5 years"),
                       ("2026-02-30", "real date"), ("yesterday", "YYYY-MM-DD"), ("", "Enter the date")]:  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            inputs.date_parse(day if isinstance(day, str) else day.isoformat())
        assert words in refused.value.messages[0]


def test_expense_input_names_every_field_at_fault_at_once(settings):
    settings.PRICE_CURRENCY = "EUR"
    with pytest.raises(ValidationError) as refused:
        inputs.expense_input(amount="-1", date="nope", description="x" * 501, category="abc", currency="USD")
    assert set(refused.value.message_dict) == {"amount", "date", "description", "category", "currency"}
    assert "EUR" in refused.value.message_dict["currency"][0]


def test_descriptions_refuse_control_characters_and_keep_markup_as_text():
    assert inputs.description_clean("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"
    with pytest.raises(ValidationError):
        inputs.description_clean("bell\x07")


@pytest.mark.parametrize("value", [True, -1, 0, 2**63, "1.5", [], "x"])
def test_ids_must_be_positive_integers(value):
    with pytest.raises(ValidationError):
        inputs.id_parse(value, what="category")


def test_months_are_read_as_yyyy_mm():
    assert inputs.month_parse("2026-12").isoformat() == "2026-12-01"
    for bad in ("2026-13", "2026-1", "26-12", None, 202612):
        with pytest.raises(ValidationError):
            inputs.month_parse(bad)
    assert inputs.month_end(inputs.month_parse("2026-12")).isoformat() == "2027-01-01"
