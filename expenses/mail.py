"""The expense e-mails, each sent at most once however often its task runs (a `mailed_at` set after
the mail server accepted it; the calling task holds a lock so two deliveries never send together).

Raises core.mail.MailError for the task to retry or give up; a user who turned notifications off, or
has no address, gets nothing and the row is marked done.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from core.mail import mail_send
from expenses.models import Expense, ExpenseImportMail, LimitAlert
from expenses.selectors import alert_message, settings_of


def _link(name: str) -> str:
    return settings.SITE_URL + reverse(name)


def _wanted(user: Any) -> bool:
    return bool(user.email) and settings_of(user_id=user.pk).notifications


def expense_mail(*, expense_id: int) -> str:
    expense = Expense.objects.select_related("owner", "category").filter(pk=expense_id).first()
    if expense is None:
        return "gone"
    if expense.mailed_at is not None:
        return "earlier"
    if _wanted(expense.owner):
        mail_send(
            to=expense.owner.email,
            subject=f"Expense added: {expense.amount} {settings.PRICE_CURRENCY}",
            template="expenses/mail/expense",
            context={"user": expense.owner, "expense": expense, "currency": settings.PRICE_CURRENCY,
                     "link": _link("expenses:index")},
        )  # fmt: skip
        outcome = "sent"
    else:
        outcome = "not wanted"
    Expense.objects.filter(pk=expense.pk).update(mailed_at=timezone.now())
    return outcome


def limit_alert_mail(*, alert_id: int) -> str:
    alert = LimitAlert.objects.select_related("owner", "category").filter(pk=alert_id).first()
    if alert is None:
        return "gone"  # re-armed (the total fell back) before its e-mail went out
    if alert.mailed_at is not None:
        return "earlier"
    if _wanted(alert.owner):
        what = alert.category.name if alert.category is not None else "All expenses"
        mail_send(
            to=alert.owner.email,
            subject=f"{what}: {alert.get_level_display()} for {alert.month:%B %Y}",
            template="expenses/mail/alert",
            context={"user": alert.owner, "alert": alert, "message": alert_message(alert),
                     "link": _link("expenses:index")},
        )  # fmt: skip
        outcome = "sent"
    else:
        outcome = "not wanted"
    LimitAlert.objects.filter(pk=alert.pk).update(mailed_at=timezone.now())
    return outcome


def import_summary_mail(*, user_id: int, job_id: int, imported: int, failed: int) -> str:
    """One e-mail for a whole import instead of one per expense (ExpenseImportMail keeps it once)."""
    if ExpenseImportMail.objects.filter(job_id=job_id).exists():
        return "earlier"
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is not None and imported and _wanted(user):
        mail_send(
            to=user.email,
            subject=f"{imported} expense{'s' if imported != 1 else ''} imported",
            template="expenses/mail/imported",
            context={"user": user, "imported": imported, "failed": failed, "link": _link("expenses:index")},
        )
        outcome = "sent"
    else:
        outcome = "not wanted"
    ExpenseImportMail.objects.get_or_create(job_id=job_id)
    return outcome
