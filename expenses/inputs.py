"""What an expense may be, checked the same way whichever way it came (form, API, socket, CSV import).

Each function returns a clean value or raises Django's ValidationError with a message a person can
act on; `expense_input` gathers every field's error at once, keyed by field name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.validators import clean_name, clean_text
from expenses.models import AMOUNT_PLACES, CATEGORY_NAME_MAX, DESCRIPTION_MAX

AMOUNT_MAX = Decimal("1000000.00")
LIMIT_MAX = Decimal("9999999999.99")
YEARS_BACK = 5
# Digits, one optional point, digits: no sign, exponent, NaN, Infinity, spaces or thousands separators.
AMOUNT_TEXT = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20})?|\.[0-9]{1,20}")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONTH_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})")
# The same rule for clients that read the OpenAPI schema (at most 2 places, above zero, at most AMOUNT_MAX).
AMOUNT_PATTERN = r"^(?:[1-9][0-9]{0,5}(?:\.[0-9]{1,2})?|0\.(?:0[1-9]|[1-9][0-9]?)|1000000(?:\.0{1,2})?)$"


def _decimal_text(value: object, *, what: str) -> tuple[str, Decimal]:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(f"Enter the {what} as a number such as 12.50.", code="invalid")
        value = format(value, "f")
    if isinstance(value, bool) or not isinstance(value, str):
        # A JSON number would already have been through a float: amounts travel as strings.
        raise ValidationError(f'Send the {what} as a string such as "12.50", not a number.', code="not_string")
    text = value.strip()
    if not text:
        raise ValidationError(f"Enter the {what}.", code="required")
    if text.startswith("-"):
        raise ValidationError(f"The {what} must be more than 0.", code="not_positive")
    if not AMOUNT_TEXT.fullmatch(text):
        raise ValidationError(f"Enter the {what} as a number such as 12.50 (digits and a point only).", code="invalid")
    places = len(text.partition(".")[2])
    if places > AMOUNT_PLACES:
        raise ValidationError(f"The {what} may have at most {AMOUNT_PLACES} decimal places.", code="places")
    return text, Decimal(text)


def amount_parse(value: object) -> Decimal:
    """A positive amount of at most AMOUNT_MAX with at most two decimal places."""
    _, amount = _decimal_text(value, what="amount")
    if amount <= 0:
        raise ValidationError("The amount must be more than 0.", code="not_positive")
    if amount > AMOUNT_MAX:
        raise ValidationError(f"An expense may be at most {AMOUNT_MAX:,} {settings.PRICE_CURRENCY}.", code="too_big")
    return amount.quantize(Decimal(1).scaleb(-AMOUNT_PLACES))


def limit_parse(value: object) -> Decimal | None:
    """A monthly limit: empty for none, else like an amount (up to LIMIT_MAX)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    _, limit = _decimal_text(value, what="limit")
    if limit <= 0:
        raise ValidationError("A limit must be more than 0 (leave it empty for no limit).", code="not_positive")
    if limit > LIMIT_MAX:
        raise ValidationError(f"A limit may be at most {LIMIT_MAX:,}.", code="too_big")
    return limit.quantize(Decimal(1).scaleb(-AMOUNT_PLACES))


def currency_check(currency: object) -> None:
    if currency is None or currency == "":
        return
    if currency != settings.PRICE_CURRENCY:
        raise ValidationError(
            f"Expenses are kept in {settings.PRICE_CURRENCY}: convert the amount first.", code="currency"
        )


def date_bounds(today: date | None = None) -> tuple[date, date]:
    """The dates an expense may have: from YEARS_BACK years ago to tomorrow (in TIME_ZONE)."""
    today = today or timezone.localdate()
    try:
        earliest = today.replace(year=today.year - YEARS_BACK)
    except ValueError:  # 29 February
        earliest = today.replace(year=today.year - YEARS_BACK, day=28)
    return earliest, today + timedelta(days=1)


def date_parse(value: object) -> date:
    if isinstance(value, date):
        day = value
    elif isinstance(value, str) and DATE_TEXT.fullmatch(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError("Enter a real date as YYYY-MM-DD.", code="invalid") from None
    elif value is None or value == "":
        raise ValidationError("Enter the date.", code="required")
    else:
        raise ValidationError("Enter the date as YYYY-MM-DD.", code="invalid")
    earliest, latest = date_bounds()
    if day > latest:
        raise ValidationError("An expense cannot be dated after tomorrow.", code="future")
    if day < earliest:
        raise ValidationError(f"An expense cannot be dated more than {YEARS_BACK} years back.", code="too_old")
    return day


def description_clean(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("The description must be text.", code="invalid")
    text = clean_text(value).strip()
    if len(text) > DESCRIPTION_MAX:
        raise ValidationError(f"A description may be at most {DESCRIPTION_MAX} characters.", code="too_long")
    return text


def category_name_clean(value: object) -> str:
    name = clean_name(value)  # type: ignore[arg-type]  # it refuses anything but a string
    if len(name) > CATEGORY_NAME_MAX:
        raise ValidationError(f"A category name may be at most {CATEGORY_NAME_MAX} characters.", code="too_long")
    return name


def id_parse(value: object, *, what: str) -> int | None:
    """An id or None (none given). Strings of digits are read (forms), booleans are not ids."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 20:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise ValidationError(f"Unknown {what}.", code="invalid")
    return value


def month_parse(value: object) -> date:
    """ "YYYY-MM" to the month's first day."""
    match = MONTH_TEXT.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise ValidationError("Name the month as YYYY-MM.", code="invalid")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    """The first day of the next month."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass(frozen=True)
class ExpenseInput:
    amount: Decimal
    date: date
    description: str
    category_id: int | None


def expense_input(
    *, amount: object, date: object, description: object = "", category: object = None, currency: object = None
) -> ExpenseInput:
    """Every field checked; ValidationError({field: [message]}) naming each one that is wrong."""
    errors: dict[str, list[str]] = {}
    values: dict[str, object] = {}
    checks = {
        "currency": lambda: currency_check(currency),
        "amount": lambda: amount_parse(amount),
        "date": lambda: date_parse(date),
        "description": lambda: description_clean(description),
        "category": lambda: id_parse(category, what="category"),
    }
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return ExpenseInput(
        amount=values["amount"],  # type: ignore[arg-type]
        date=values["date"],  # type: ignore[arg-type]
        description=values["description"],  # type: ignore[arg-type]
        category_id=values["category"],  # type: ignore[arg-type]
    )
