"""Reads for expenses: a month's totals against limits, its list, and the shapes events carry.

Totals are aggregate queries (a handful per month, however many expenses); amounts leave as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Sum

from expenses.charts import daily_chart
from expenses.inputs import month_end
from expenses.models import Expense, ExpenseCategory, ExpenseSettings, LimitAlert

WARNING_SHARE = Decimal("0.8")
LIST_MAX = 1000  # expenses listed for a month on the page; the CSV export has them all
UNCATEGORISED = "Uncategorised"


def expenses_topic(user_id: int) -> str:
    """Where one user's tabs hear of their expenses and alerts (joined only from the session's user)."""
    return f"expenses.user.{int(user_id)}"


def month_text(month: date) -> str:
    return f"{month:%Y-%m}"


def levels_reached(total: Decimal, limit: Decimal | None) -> list[str]:
    """The alert levels a month's total has reached against a limit, lowest first."""
    if limit is None or limit <= 0:
        return []
    levels = []
    if total >= limit * WARNING_SHARE:
        levels.append(LimitAlert.Level.WARNING.value)
    if total >= limit:
        levels.append(LimitAlert.Level.EXCEEDED.value)
    return levels


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(Decimal("0.01")), "f")


def _gauge(total: Decimal, limit: Decimal | None) -> dict[str, Any]:
    levels = levels_reached(total, limit)
    return {
        "total": _money(total),
        "limit": _money(limit),
        "percent": None if not limit else int(total * 100 / limit),
        "level": levels[-1] if levels else None,
    }


@dataclass(frozen=True)
class MonthTotals:
    """One user's month: the overall total and each category's (None: uncategorised)."""

    month: date
    overall: Decimal
    overall_limit: Decimal | None
    by_category: dict[int | None, Decimal]
    categories: list[dict[str, Any]]  # id, name, monthly_limit — every category of the user
    daily: dict[date, Decimal]


def month_totals(*, user_id: int, month: date) -> MonthTotals:
    expenses = Expense.objects.filter(owner_id=user_id, date__gte=month, date__lt=month_end(month))
    by_category = {
        row["category_id"]: row["total"]
        for row in expenses.order_by().values("category_id").annotate(total=Sum("amount"))
    }
    daily = {row["date"]: row["total"] for row in expenses.order_by().values("date").annotate(total=Sum("amount"))}
    categories: list[dict[str, Any]] = [
        dict(row) for row in ExpenseCategory.objects.filter(owner_id=user_id).values("id", "name", "monthly_limit")
    ]
    overall_limit = ExpenseSettings.objects.filter(user_id=user_id).values_list("monthly_limit", flat=True).first()
    return MonthTotals(
        month=month,
        overall=sum(by_category.values(), Decimal(0)),
        overall_limit=overall_limit,
        by_category=by_category,
        categories=categories,
        daily=daily,
    )


def month_summary(totals: MonthTotals) -> dict[str, Any]:
    """What the page shows above the list: totals against limits, per category, and the daily chart."""
    categories = [
        {
            "id": row["id"],
            "name": row["name"],
            **_gauge(totals.by_category.get(row["id"], Decimal(0)), row["monthly_limit"]),
        }
        for row in totals.categories
    ]
    loose = totals.by_category.get(None)
    if loose:
        categories.append({"id": None, "name": UNCATEGORISED, **_gauge(loose, None)})
    return {
        "month": month_text(totals.month),
        "currency": settings.PRICE_CURRENCY,
        **_gauge(totals.overall, totals.overall_limit),
        "categories": categories,
        "chart": daily_chart(month=totals.month, daily=totals.daily, end=month_end(totals.month) - timedelta(days=1)),
    }


def expense_as_event(expense: Expense) -> dict[str, Any]:
    category = expense.category
    return {
        "id": expense.pk,
        "amount": _money(expense.amount),
        "date": expense.date.isoformat(),
        "month": month_text(expense.date.replace(day=1)),
        "description": expense.description,
        "category": None if category is None else {"id": category.pk, "name": category.name},
    }


def expenses_of_month(*, user_id: int, month: date, limit: int = LIST_MAX) -> tuple[list[dict[str, Any]], int]:
    """The month's expenses, newest first (at most `limit`), and how many there are in all."""
    expenses = Expense.objects.filter(owner_id=user_id, date__gte=month, date__lt=month_end(month))
    rows = [expense_as_event(e) for e in expenses.select_related("category").order_by("-date", "-id")[:limit]]
    return rows, len(rows) if len(rows) < limit else expenses.count()


def month_state(*, user_id: int, month: date) -> dict[str, Any]:
    """Everything the page shows for a month (its first render, and a re-read after a reconnect)."""
    rows, count = expenses_of_month(user_id=user_id, month=month)
    return {
        **month_summary(month_totals(user_id=user_id, month=month)),
        "expenses": rows,
        "count": count,
        "alerts": month_alerts(user_id=user_id, month=month),
    }


def month_alerts(*, user_id: int, month: date) -> list[dict[str, Any]]:
    """The month's alerts, the highest level reached per limit (a warning under an "exceeded" is old news)."""
    highest: dict[int | None, LimitAlert] = {}
    for alert in LimitAlert.objects.filter(owner_id=user_id, month=month).select_related("category"):
        kept = highest.get(alert.category_id)
        if kept is None or alert.level == LimitAlert.Level.EXCEEDED:
            highest[alert.category_id] = alert
    return [alert_as_event(alert) for alert in highest.values()]


def alert_message(alert: LimitAlert) -> str:
    what = f"{alert.category.name}: " if alert.category is not None else "All expenses: "
    currency = settings.PRICE_CURRENCY
    if alert.level == LimitAlert.Level.EXCEEDED:
        state = f"over the monthly limit of {_money(alert.limit)} {currency}"
    else:
        state = f"{int(alert.total * 100 / alert.limit)}% of the monthly limit of {_money(alert.limit)} {currency}"
    return f"{what}{_money(alert.total)} {currency} spent in {alert.month:%B %Y}, {state}."


def alert_as_event(alert: LimitAlert) -> dict[str, Any]:
    category = alert.category
    return {
        "id": alert.pk,
        "level": alert.level,
        "month": month_text(alert.month),
        "category": None if category is None else {"id": category.pk, "name": category.name},
        "total": _money(alert.total),
        "limit": _money(alert.limit),
        "message": alert_message(alert),
    }


def settings_of(*, user_id: int) -> ExpenseSettings:
    found = ExpenseSettings.objects.filter(user_id=user_id).first()
    return found if found is not None else ExpenseSettings(user_id=user_id)
