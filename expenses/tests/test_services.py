"""The one write path: validated, stored, alerts once per month and level, told only after commit."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from expenses import services
from expenses.inputs import expense_input
from expenses.models import Expense, ExpenseCategory, ExpenseSettings, LimitAlert
from expenses.selectors import expenses_topic, month_state
from expenses.tests.conftest import add, limit

# Real commits: events and e-mail tasks leave only after one (tasks land on the run's queue, emptied after).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("queue")]


def levels(user, category=None) -> list[str]:
    return sorted(LimitAlert.objects.filter(owner=user, category=category).values_list("level", flat=True))


def test_every_new_user_has_expense_settings_with_notifications_on(user):
    settings_row = ExpenseSettings.objects.get(user=user)
    assert settings_row.notifications is True
    assert settings_row.monthly_limit is None


def test_an_added_expense_is_told_to_its_owners_topic_only_after_commit(user, other_user, listen, today):
    mine, theirs = listen(expenses_topic(user.pk)), listen(expenses_topic(other_user.pk))
    with transaction.atomic():
        expense = add(user, "12.50", description="Shallots")
        assert mine.received(wait=0.2) == []  # not before the commit
    events = mine.received()
    assert [e["type"] for e in events] == ["expense.created"]
    assert events[0]["expense"] == {
        "id": expense.pk, "amount": "12.50", "date": today.isoformat(), "month": f"{today:%Y-%m}",
        "description": "Shallots", "category": None,
    }  # fmt: skip
    assert events[0]["months"][f"{today:%Y-%m}"]["total"] == "12.50"
    assert theirs.received(wait=0.2) == []


def test_a_rolled_back_expense_is_neither_kept_nor_told(user, listen):
    mine = listen(expenses_topic(user.pk))

    def add_then_fail() -> None:
        with transaction.atomic():
            add(user, "5")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        add_then_fail()
    assert not Expense.objects.exists()
    assert mine.received(wait=0.3) == []


def test_another_users_category_is_unknown_and_nothing_is_saved(user, other_user, listen, today):
    theirs = ExpenseCategory.objects.create(owner=other_user, name="Wine")
    mine = listen(expenses_topic(user.pk))
    with pytest.raises(ValidationError) as refused:
        add(user, "5", category=theirs)
    assert "category" in refused.value.message_dict
    assert not Expense.objects.exists()
    assert mine.received(wait=0.2) == []


def test_another_users_expense_cannot_be_changed_or_deleted(user, other_user):
    expense = add(other_user, "9")
    with pytest.raises(services.NotFound):
        services.expense_update(user=user, expense_id=expense.pk, changes={"amount": "1"})
    with pytest.raises(services.NotFound):
        services.expense_delete(user=user, expense_id=expense.pk)
    expense.refresh_from_db()
    assert expense.amount == Decimal("9.00")


def test_the_warning_and_the_exceeded_alerts_fire_once_each_per_month(user, listen, today):
    limit(user, "100")
    mine = listen(expenses_topic(user.pk))
    add(user, "50")
    assert levels(user) == []
    add(user, "30")  # 80%: the warning
    add(user, "5")  # still 85%: nothing new
    add(user, "15")  # 100%: exceeded
    add(user, "1")
    assert levels(user) == ["exceeded", "warning"]
    alerts = [e["alert"] for e in mine.received() if e["type"] == "alert"]
    assert [a["level"] for a in alerts] == ["warning", "exceeded"]
    assert "80%" in alerts[0]["message"]
    assert "over the monthly limit" in alerts[1]["message"]


def test_jumping_past_both_levels_tells_only_exceeded_and_keeps_the_warning_quiet(user, listen):
    limit(user, "100")
    mine = listen(expenses_topic(user.pk))
    add(user, "150")
    assert levels(user) == ["exceeded", "warning"]
    assert [e["alert"]["level"] for e in mine.received() if e["type"] == "alert"] == ["exceeded"]
    warning = LimitAlert.objects.get(owner=user, level="warning")
    assert warning.mailed_at is not None  # no e-mail for it


def test_an_edit_or_delete_back_under_a_level_re_arms_it(user, listen):
    limit(user, "100")
    big = add(user, "100")
    assert levels(user) == ["exceeded", "warning"]
    mine = listen(expenses_topic(user.pk))
    services.expense_update(user=user, expense_id=big.pk, changes={"amount": "85"})
    assert levels(user) == ["warning"]
    services.expense_delete(user=user, expense_id=big.pk)
    assert levels(user) == []
    cleared = [e for e in mine.received() if e["type"] == "alert.cleared"]
    assert len(cleared) == 2
    add(user, "120")  # re-armed: both fire again (exceeded told)
    assert levels(user) == ["exceeded", "warning"]


def test_category_limits_alert_on_their_own(user):
    produce = services.category_create(user_id=user.pk, name="Produce", monthly_limit="50")
    add(user, "45", category=produce)
    assert levels(user, produce) == ["warning"]
    assert levels(user) == []  # no overall limit set


def test_changing_a_limit_re_evaluates_at_once(user, listen):
    add(user, "90")
    mine = listen(expenses_topic(user.pk))
    limit(user, "100")
    assert levels(user) == ["warning"]
    limit(user, "80")
    assert levels(user) == ["exceeded", "warning"]
    limit(user, "1000")
    assert levels(user) == []
    types = [e["type"] for e in mine.received()]
    assert types.count("limits.changed") == 3
    assert "alert" in types
    assert "alert.cleared" in types


def test_moving_an_expense_to_another_month_updates_both_months(user, today, listen):
    limit(user, "100")
    expense = add(user, "90")
    mine = listen(expenses_topic(user.pk))
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=15)
    services.expense_update(user=user, expense_id=expense.pk, changes={"date": last_month.isoformat()})
    event = next(e for e in mine.received() if e["type"] == "expense.updated")
    assert set(event["months"]) == {f"{today:%Y-%m}", f"{last_month:%Y-%m}"}
    assert event["months"][f"{today:%Y-%m}"]["total"] == "0.00"
    assert list(LimitAlert.objects.values_list("month", "level")) == [(last_month.replace(day=1), "warning")]


def test_a_partial_update_keeps_the_other_fields_and_refuses_unknown_ones(user):
    expense = add(user, "12", description="Butter")
    services.expense_update(user=user, expense_id=expense.pk, changes={"amount": "13.40"})
    expense.refresh_from_db()
    assert (expense.amount, expense.description) == (Decimal("13.40"), "Butter")
    with pytest.raises(ValidationError) as refused:
        services.expense_update(user=user, expense_id=expense.pk, changes={"owner": 3})
    assert "owner" in refused.value.message_dict


def test_deleting_a_category_keeps_its_expenses_uncategorised(user, today):
    wine = services.category_create(user_id=user.pk, name="Wine", monthly_limit=None)
    expense = add(user, "20", category=wine)
    services.category_delete(user_id=user.pk, category_id=wine.pk)
    expense.refresh_from_db()
    assert expense.category is None
    state = month_state(user_id=user.pk, month=today.replace(day=1))
    assert [(c["name"], c["total"]) for c in state["categories"]] == [("Uncategorised", "20.00")]


def test_category_names_are_unique_per_user_whatever_the_case(user, other_user):
    services.category_create(user_id=user.pk, name="Produce", monthly_limit=None)
    with pytest.raises(ValidationError) as refused:
        services.category_create(user_id=user.pk, name="produce", monthly_limit=None)
    assert "already" in refused.value.message_dict["name"][0]
    services.category_create(user_id=other_user.pk, name="Produce", monthly_limit=None)


def test_month_totals_are_aggregates_in_a_constant_number_of_queries(user, today, django_assert_max_num_queries):
    produce = services.category_create(user_id=user.pk, name="Produce", monthly_limit="100")
    for amount in ("1.10", "2.20", "3.30"):
        add(user, amount, category=produce)
    add(user, "4.40")
    with django_assert_max_num_queries(6):
        state = month_state(user_id=user.pk, month=today.replace(day=1))
    assert state["total"] == "11.00"
    assert [(c["name"], c["total"], c["percent"]) for c in state["categories"]] == [
        ("Produce", "6.60", 6), ("Uncategorised", "4.40", None)
    ]  # fmt: skip
    assert sum(Decimal(bar["amount"]) for bar in state["chart"]["bars"]) == Decimal("11.00")


def test_two_expenses_saved_at_once_alert_once_and_see_each_other(user):
    """Each alone stays under 80%; together they cross it. The settings row lock puts the two saves one
    after the other, so the second sees the first's amount: one warning, never zero, never two."""
    limit(user, "100")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(amount: str) -> None:
        try:
            barrier.wait()
            add(user, amount)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(amount,)) for amount in ("45", "40")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert levels(user) == ["warning"]


def test_amounts_are_never_floats_in_events(user, today):
    add(user, "0.10")
    add(user, "0.20")
    state = month_state(user_id=user.pk, month=today.replace(day=1))
    assert state["total"] == "0.30"  # 0.1 + 0.2 as floats would not be
    assert all(isinstance(e["amount"], str) for e in state["expenses"])


def test_an_expense_input_from_another_currency_is_refused(user, settings):
    settings.PRICE_CURRENCY = "EUR"
    with pytest.raises(ValidationError) as refused:
        expense_input(amount="5", date="2026-12-01", currency="USD")
    assert "currency" in refused.value.message_dict


def test_the_month_shows_the_highest_level_reached_per_limit(user, today):
    limit(user, "100")
    add(user, "150")
    produce = services.category_create(user_id=user.pk, name="Produce", monthly_limit="10")
    add(user, "9", category=produce)
    alerts = month_state(user_id=user.pk, month=today.replace(day=1))["alerts"]
    assert sorted((a["category"]["name"] if a["category"] else "", a["level"]) for a in alerts) == [
        ("", "exceeded"), ("Produce", "warning")
    ]  # fmt: skip
