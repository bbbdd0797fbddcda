"""Writes for expenses: one path for each change, whichever way it came (form, API, socket, import).

Each write runs in one transaction holding the user's ExpenseSettings row, brings the month's
alerts in line (expenses/limits.py), and only after commit tells the user's open tabs
(`expenses.user.<id>`) and enqueues the e-mails. Errors are ValidationError({field: [message]}).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.realtime.hub import encode, publish_raw_on_commit
from expenses import inputs
from expenses.inputs import ExpenseInput, month_of
from expenses.limits import Evaluation, limits_evaluate
from expenses.models import Expense, ExpenseCategory, ExpenseSettings
from expenses.selectors import alert_as_event, expense_as_event, expenses_topic, month_summary, month_totals
from expenses.tasks import send_expense_email_notification, send_limit_alert

CATEGORIES_MAX = 100


class NotFound(Exception):
    """No such expense or category among the user's own (another user's is "not found" too)."""


def expense_settings_lock(*, user_id: int) -> ExpenseSettings:
    """The user's settings row, locked until the transaction ends (created if missing)."""
    found = ExpenseSettings.objects.select_for_update().filter(user_id=user_id).first()
    if found is not None:
        return found
    ExpenseSettings.objects.get_or_create(user_id=user_id)
    return ExpenseSettings.objects.select_for_update().get(user_id=user_id)


def expense_settings_create(*, user_id: int) -> None:
    """Every user has settings from the start (called when a user is created)."""
    ExpenseSettings.objects.get_or_create(user_id=user_id)


def _publish(user_id: int, event: dict[str, Any]) -> None:
    publish_raw_on_commit(expenses_topic(user_id), encode(event))


def _tell(*, user_id: int, event: dict[str, Any], months: Iterable[date], notifications: bool) -> None:
    """Re-check each month's limits (inside the transaction), then, after commit, tell the user's tabs:
    the event with each month's summary first, then the alerts it raised or cleared."""
    summaries: dict[str, Any] = {}
    evaluation = Evaluation()
    for month in sorted(set(months)):
        totals = month_totals(user_id=user_id, month=month)
        found = limits_evaluate(user_id=user_id, totals=totals, notifications=notifications)
        evaluation.created += found.created
        evaluation.cleared += found.cleared
        summary = month_summary(totals)
        summaries[summary["month"]] = summary
    _publish(user_id, {**event, "months": summaries})
    for alert in evaluation.cleared:
        _publish(user_id, {"type": "alert.cleared", "alert": {"id": alert.pk, "month": f"{alert.month:%Y-%m}"}})
    for alert in evaluation.created:
        _publish(user_id, {"type": "alert", "alert": alert_as_event(alert)})
        if alert.mailed_at is None:
            transaction.on_commit(partial(send_limit_alert.delay, alert.pk), robust=True)


def _category(*, user_id: int, category_id: int | None) -> ExpenseCategory | None:
    if category_id is None:
        return None
    category = ExpenseCategory.objects.filter(pk=category_id, owner_id=user_id).first()
    if category is None:
        raise ValidationError({"category": ["Unknown category: choose one of yours."]})
    return category


def _mine(*, user_id: int, expense_id: object) -> Expense:
    try:
        pk = inputs.id_parse(expense_id, what="expense")
    except ValidationError:
        pk = None
    expense = None if pk is None else Expense.objects.filter(pk=pk, owner_id=user_id).select_related("category").first()
    if expense is None:
        raise NotFound("no such expense")
    return expense


@transaction.atomic
def expense_add(*, user: AbstractBaseUser, data: ExpenseInput) -> Expense:
    settings_row = expense_settings_lock(user_id=user.pk)
    category = _category(user_id=user.pk, category_id=data.category_id)
    expense = Expense.objects.create(owner_id=user.pk, category=category, amount=data.amount, date=data.date,
                                     description=data.description)  # fmt: skip
    _tell(user_id=user.pk, event={"type": "expense.created", "expense": expense_as_event(expense)},
          months=[month_of(expense.date)], notifications=settings_row.notifications)  # fmt: skip
    if settings_row.notifications:
        transaction.on_commit(partial(send_expense_email_notification.delay, expense.pk), robust=True)
    else:
        Expense.objects.filter(pk=expense.pk).update(mailed_at=expense.created_at)
    return expense


def expense_input_merged(*, expense: Expense, changes: dict[str, object]) -> ExpenseInput:
    """A partial change read over the expense's current values (fields not named stay as they are)."""
    current: dict[str, object] = {
        "amount": format(expense.amount, "f"),
        "date": expense.date,
        "description": expense.description,
        "category": expense.category_id,
    }
    unknown = set(changes) - {*current, "currency"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: ["Not a field of an expense."]})
    return inputs.expense_input(**{**current, **changes})


@transaction.atomic
def expense_update(*, user: AbstractBaseUser, expense_id: object, changes: dict[str, object]) -> Expense:
    settings_row = expense_settings_lock(user_id=user.pk)
    expense = _mine(user_id=user.pk, expense_id=expense_id)
    data = expense_input_merged(expense=expense, changes=changes)
    old_month = month_of(expense.date)
    expense.category = _category(user_id=user.pk, category_id=data.category_id)
    expense.amount, expense.date, expense.description = data.amount, data.date, data.description
    expense.save(update_fields=["category", "amount", "date", "description", "updated_at"])
    _tell(user_id=user.pk, event={"type": "expense.updated", "expense": expense_as_event(expense)},
          months=[old_month, month_of(expense.date)], notifications=settings_row.notifications)  # fmt: skip
    return expense


@transaction.atomic
def expense_delete(*, user: AbstractBaseUser, expense_id: object) -> int:
    settings_row = expense_settings_lock(user_id=user.pk)
    expense = _mine(user_id=user.pk, expense_id=expense_id)
    deleted_id = expense.pk
    gone = {"id": deleted_id, "month": f"{expense.date:%Y-%m}"}
    expense.delete()
    _tell(user_id=user.pk, event={"type": "expense.deleted", "expense": gone}, months=[month_of(expense.date)],
          notifications=settings_row.notifications)  # fmt: skip
    return deleted_id


@dataclass(frozen=True)
class ImportedExpense:
    key: str
    data: ExpenseInput
    category_name: str


def expenses_import_batch(*, user_id: int, batch: list[ImportedExpense]) -> int:
    """Write a batch of imported expenses (inside the batch's transaction); keys already written are
    skipped. Categories named by the file are found by name, or created. No e-mail per expense."""
    if not batch:
        return 0
    settings_row = expense_settings_lock(user_id=user_id)
    done = set(Expense.objects.filter(import_key__in=[item.key for item in batch]).values_list("import_key", flat=True))
    fresh = [item for item in batch if item.key not in done]
    names: dict[str, str] = {}  # the first spelling in the batch names a new category
    for item in fresh:
        if item.category_name:
            names.setdefault(item.category_name.casefold(), item.category_name)
    categories = {c.name.casefold(): c for c in ExpenseCategory.objects.filter(owner_id=user_id)}
    for folded, name in names.items():
        if folded not in categories:
            categories[folded] = category_create(user_id=user_id, name=name, monthly_limit=None, tell=False)
    now = timezone.now()
    Expense.objects.bulk_create(
        Expense(
            owner_id=user_id,
            category=categories.get(item.category_name.casefold()) if item.category_name else None,
            amount=item.data.amount,
            date=item.data.date,
            description=item.data.description,
            import_key=item.key,
            mailed_at=now,
        )
        for item in fresh
    )
    if fresh:
        months = [month_of(item.data.date) for item in fresh]
        _tell(user_id=user_id, event={"type": "expenses.imported", "count": len(fresh)}, months=months,
              notifications=settings_row.notifications)  # fmt: skip
    return len(fresh)


# -- Categories and settings -------------------------------------------------------------------


def _category_fields(*, name: object, monthly_limit: object) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for field_name, check in (("name", lambda: inputs.category_name_clean(name)),
                              ("monthly_limit", lambda: inputs.limit_parse(monthly_limit))):  # fmt: skip
        try:
            clean[field_name] = check()
        except ValidationError as error:
            errors[field_name] = error.messages
    if errors:
        raise ValidationError(errors)
    return clean


def category_create(*, user_id: int, name: object, monthly_limit: object, tell: bool = True) -> ExpenseCategory:
    clean = _category_fields(name=name, monthly_limit=monthly_limit)
    with transaction.atomic():
        settings_row = expense_settings_lock(user_id=user_id)
        if ExpenseCategory.objects.filter(owner_id=user_id).count() >= CATEGORIES_MAX:
            raise ValidationError({"name": [f"You may have at most {CATEGORIES_MAX} categories."]})
        try:
            with transaction.atomic():
                category = ExpenseCategory.objects.create(owner_id=user_id, **clean)
        except IntegrityError:
            raise ValidationError({"name": ["You already have a category of that name."]}) from None
        if tell:
            _limits_changed(user_id=user_id, notifications=settings_row.notifications)
    return category


def category_update(*, user_id: int, category_id: object, name: object, monthly_limit: object) -> ExpenseCategory:
    """Rename a category and set its limit; the current month's alerts are checked again at once."""
    clean = _category_fields(name=name, monthly_limit=monthly_limit)
    with transaction.atomic():
        settings_row = expense_settings_lock(user_id=user_id)
        category = _category_mine(user_id=user_id, category_id=category_id)
        category.name, category.monthly_limit = clean["name"], clean["monthly_limit"]
        try:
            with transaction.atomic():
                category.save(update_fields=["name", "monthly_limit"])
        except IntegrityError:
            raise ValidationError({"name": ["You already have a category of that name."]}) from None
        _limits_changed(user_id=user_id, notifications=settings_row.notifications)
    return category


def _category_mine(*, user_id: int, category_id: object) -> ExpenseCategory:
    try:
        pk = inputs.id_parse(category_id, what="category")
    except ValidationError:
        pk = None
    category = None if pk is None else ExpenseCategory.objects.filter(pk=pk, owner_id=user_id).first()
    if category is None:
        raise NotFound("no such category")
    return category


@transaction.atomic
def category_delete(*, user_id: int, category_id: object) -> None:
    """Delete a category; its expenses stay, uncategorised (its alerts go with it)."""
    settings_row = expense_settings_lock(user_id=user_id)
    _category_mine(user_id=user_id, category_id=category_id).delete()
    _limits_changed(user_id=user_id, notifications=settings_row.notifications)


@transaction.atomic
def expense_settings_update(*, user_id: int, monthly_limit: object, notifications: bool) -> ExpenseSettings:
    try:
        limit = inputs.limit_parse(monthly_limit)
    except ValidationError as error:
        raise ValidationError({"monthly_limit": error.messages}) from None
    settings_row = expense_settings_lock(user_id=user_id)
    settings_row.monthly_limit, settings_row.notifications = limit, bool(notifications)
    settings_row.save(update_fields=["monthly_limit", "notifications"])
    _limits_changed(user_id=user_id, notifications=settings_row.notifications)
    return settings_row


def _limits_changed(*, user_id: int, notifications: bool) -> None:
    """A limit or category changed: the current month is checked again now, and tabs re-read."""
    _tell(
        user_id=user_id,
        event={"type": "limits.changed"},
        months=[month_of(timezone.localdate())],
        notifications=notifications,
    )
