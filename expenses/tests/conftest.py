from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from expenses import services
from expenses.inputs import expense_input
from jobs.tests.conftest import as_user, listen, queue  # noqa: F401  (shared fixtures)
from kitchen.tests.factories import UserFactory


@pytest.fixture
def user(db):
    return UserFactory(username="ana", email="ana@example.com")


@pytest.fixture
def other_user(db):
    return UserFactory(username="ben", email="ben@example.com")


@pytest.fixture
def today() -> date:
    return timezone.localdate()


def add(user, amount: str, *, day: date | None = None, category=None, description: str = ""):
    """An expense through the one service, as the form, the API and the socket add them."""
    data = expense_input(amount=amount, date=day or timezone.localdate(), description=description,
                         category=None if category is None else category.pk)  # fmt: skip
    return services.expense_add(user=user, data=data)


def limit(user, amount: str | None) -> None:
    services.expense_settings_update(user_id=user.pk, monthly_limit=amount, notifications=True)


def money(value: str) -> Decimal:
    return Decimal(value)
