"""Limits and their alerts: once per user, category (or none: the overall limit), month and level.

Two paths create alerts, and both insert the same unique row, so whichever comes second finds it:
- a save (`limits_evaluate`), inside the expense's transaction with the user's settings row locked,
  so two saves of one user run one after the other and each sees the other's amount;
- beat's periodic check (`monthly_limits_check`), over every user at once with a constant number
  of aggregate queries, inserting what is missing in batches.
A total that falls back under a level deletes that level's row (a save, or a limit changed), which
re-arms it. When one change reaches both levels, only "exceeded" is told (the warning is kept, quiet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from expenses.inputs import month_end, month_of
from expenses.models import Expense, ExpenseCategory, LimitAlert
from expenses.selectors import WARNING_SHARE, MonthTotals, levels_reached

WARNING = LimitAlert.Level.WARNING.value
EXCEEDED = LimitAlert.Level.EXCEEDED.value
# An alert whose e-mail has not gone out this long after it was created lost its task: sent again.
MAIL_LOST_AFTER = timedelta(minutes=10)
INSERT_BATCH = 1000
MAIL_BATCH = 200

Key = tuple[int | None, str]  # (category id or None, level)


@dataclass
class Evaluation:
    created: list[LimitAlert] = field(default_factory=list)  # to tell (live, and by e-mail unless mailed_at)
    cleared: list[LimitAlert] = field(default_factory=list)


def _wanted(totals: MonthTotals) -> dict[Key, tuple[Decimal, Decimal]]:
    wanted: dict[Key, tuple[Decimal, Decimal]] = {}
    if totals.overall_limit is not None:
        for level in levels_reached(totals.overall, totals.overall_limit):
            wanted[(None, level)] = (totals.overall, totals.overall_limit)
    for category in totals.categories:
        limit = category["monthly_limit"]
        total = totals.by_category.get(category["id"], Decimal(0))
        for level in levels_reached(total, limit):
            wanted[(category["id"], level)] = (total, limit)
    return wanted


def _quiet(key: Key, wanted: dict[Key, Any]) -> bool:
    """A warning reached together with (or after) "exceeded" tells nothing new."""
    category_id, level = key
    return level == WARNING and (category_id, EXCEEDED) in wanted


def limits_evaluate(*, user_id: int, totals: MonthTotals, notifications: bool) -> Evaluation:
    """Bring the month's alert rows in line with its totals. Call inside the transaction that changed
    the expenses, holding the user's ExpenseSettings row lock."""
    wanted = _wanted(totals)
    existing = {(a.category_id, a.level): a for a in LimitAlert.objects.filter(owner_id=user_id, month=totals.month)}
    outcome = Evaluation(cleared=[alert for key, alert in existing.items() if key not in wanted])
    if outcome.cleared:
        LimitAlert.objects.filter(pk__in=[alert.pk for alert in outcome.cleared]).delete()
    names = {category["id"]: category["name"] for category in totals.categories}
    now = timezone.now()
    for key, (total, limit) in wanted.items():
        if key in existing:
            continue
        category_id, level = key
        quiet = _quiet(key, wanted)
        alert = LimitAlert(owner_id=user_id, category_id=category_id, month=totals.month, level=level, total=total,
                           limit=limit, mailed_at=now if quiet or not notifications else None)  # fmt: skip
        try:
            with transaction.atomic():
                alert.save()
        except IntegrityError:  # the periodic check inserted it a moment ago: it tells
            continue
        if category_id is not None:
            alert.category = ExpenseCategory(pk=category_id, owner_id=user_id, name=names.get(category_id, ""))
        if not quiet:
            outcome.created.append(alert)
    return outcome


@dataclass
class CheckOutcome:
    month: date
    over: int = 0  # (user, limit) pairs at a level
    inserted: int = 0
    to_tell: list[LimitAlert] = field(default_factory=list)  # new (not quiet): live events
    to_mail: list[int] = field(default_factory=list)  # alert ids whose e-mail is due (new, or lost)

    def as_result(self) -> dict[str, Any]:
        return {"month": f"{self.month:%Y-%m}", "over": self.over, "inserted": self.inserted,
                "told": len(self.to_tell), "mail": len(self.to_mail)}  # fmt: skip


def monthly_limits_check(*, today: date | None = None) -> CheckOutcome:
    """Every user and category at a level this month, found with two aggregate queries over all users;
    the missing alerts inserted in batches (a row a save inserted meanwhile is skipped)."""
    started = timezone.now()
    month = month_of(today or timezone.localdate())
    this_month = Q(date__gte=month, date__lt=month_end(month))
    overall = (
        Expense.objects.filter(this_month, owner__expense_settings__monthly_limit__isnull=False)
        .values(
            "owner_id",
            limit=F("owner__expense_settings__monthly_limit"),
            notifications=F("owner__expense_settings__notifications"),
        )
        .annotate(total=Sum("amount"))
        .filter(total__gte=F("limit") * WARNING_SHARE)
        .order_by()
    )
    by_category = (
        Expense.objects.filter(this_month, category__monthly_limit__isnull=False)
        .values(
            "owner_id",
            "category_id",
            limit=F("category__monthly_limit"),
            notifications=F("owner__expense_settings__notifications"),
        )
        .annotate(total=Sum("amount"))
        .filter(total__gte=F("limit") * WARNING_SHARE)
        .order_by()
    )
    # The alerts first, then the totals: an alert a save deleted (its total fell) before this read is
    # also gone from the totals read after it, so the check never puts back a level no longer reached.
    existing = set(LimitAlert.objects.filter(month=month).values_list("owner_id", "category_id", "level"))
    wanted: dict[tuple[int, int | None, str], tuple[Decimal, Decimal, bool]] = {}
    for row in [*overall, *by_category]:
        for level in levels_reached(row["total"], row["limit"]):
            notify = row["notifications"] is not False  # a user without settings row: the default, on
            wanted[(row["owner_id"], row.get("category_id"), level)] = (row["total"], row["limit"], notify)
    outcome = CheckOutcome(month=month, over=len({key[:2] for key in wanted}))
    missing = [
        LimitAlert(
            owner_id=owner_id,
            category_id=category_id,
            month=month,
            level=level,
            total=total,
            limit=limit,
            mailed_at=started
            if not notify or (level == WARNING and (owner_id, category_id, EXCEEDED) in wanted)
            else None,
        )
        for (owner_id, category_id, level), (total, limit, notify) in wanted.items()
        if (owner_id, category_id, level) not in existing
    ]
    for start in range(0, len(missing), INSERT_BATCH):
        LimitAlert.objects.bulk_create(missing[start : start + INSERT_BATCH], ignore_conflicts=True)
    outcome.inserted = len(missing)
    # One read back: what this run (or a save meanwhile) created, and e-mails that were never sent.
    fresh = LimitAlert.objects.filter(
        Q(created_at__gte=started) | Q(mailed_at__isnull=True, created_at__lt=started - MAIL_LOST_AFTER), month=month
    ).select_related("category")
    created = [alert for alert in fresh if alert.created_at >= started]
    exceeded = {(alert.owner_id, alert.category_id) for alert in created if alert.level == EXCEEDED}
    outcome.to_tell = [a for a in created if a.level == EXCEEDED or (a.owner_id, a.category_id) not in exceeded]
    outcome.to_mail = [alert.pk for alert in fresh if alert.mailed_at is None]
    return outcome
