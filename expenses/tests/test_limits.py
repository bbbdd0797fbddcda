"""Beat's check over every user: what it inserts, what it tells, what it leaves to e-mail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from expenses.limits import monthly_limits_check
from expenses.models import Expense, ExpenseCategory, ExpenseSettings, LimitAlert
from kitchen.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def spend(user, amount: str, category=None) -> None:
    """Rows written around the save path (as a bulk load would): only the check can alert them."""
    Expense.objects.create(owner=user, category=category, amount=Decimal(amount), date=timezone.localdate())


def limit(user, amount: str, *, notifications: bool = True) -> None:
    ExpenseSettings.objects.filter(user=user).update(monthly_limit=Decimal(amount), notifications=notifications)


def test_the_check_inserts_each_missing_level_once_and_tells_only_the_highest():
    under, warned, over, quiet = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    for user, amount in ((under, "10"), (warned, "85"), (over, "120"), (quiet, "90")):
        limit(user, "100", notifications=user is not quiet)
        spend(user, amount)
    produce = ExpenseCategory.objects.create(owner=under, name="Produce", monthly_limit=Decimal("5"))
    spend(under, "6", category=produce)

    outcome = monthly_limits_check()

    rows = set(LimitAlert.objects.values_list("owner_id", "category_id", "level"))
    assert rows == {
        (warned.pk, None, "warning"), (over.pk, None, "warning"), (over.pk, None, "exceeded"),
        (quiet.pk, None, "warning"), (under.pk, produce.pk, "warning"), (under.pk, produce.pk, "exceeded"),
    }  # fmt: skip
    told = {(a.owner_id, a.category_id, a.level) for a in outcome.to_tell}
    assert told == {(warned.pk, None, "warning"), (over.pk, None, "exceeded"), (quiet.pk, None, "warning"),
                    (under.pk, produce.pk, "exceeded")}  # fmt: skip
    mailed = set(LimitAlert.objects.filter(pk__in=outcome.to_mail).values_list("owner_id", "level"))
    assert mailed == {(warned.pk, "warning"), (over.pk, "exceeded"), (under.pk, "exceeded")}  # not the quiet user


def test_a_second_check_inserts_and_tells_nothing_more():
    user = UserFactory()
    limit(user, "100")
    spend(user, "150")
    first = monthly_limits_check()
    assert first.inserted == 2
    second = monthly_limits_check()
    assert (second.inserted, second.to_tell) == (0, [])
    assert LimitAlert.objects.count() == 2


def test_a_user_back_under_a_level_is_not_alerted_again_by_the_check():
    user = UserFactory()
    limit(user, "100")
    spend(user, "50")
    assert monthly_limits_check().inserted == 0
    assert not LimitAlert.objects.exists()
