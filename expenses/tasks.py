"""Expense tasks: e-mails (each sent once: a lock while sending, `mailed_at` after) and beat's
monthly-limit check. Tasks take ids, load fresh state and call expenses/mail.py or limits.py;
SMTP and Redis outages are retried with backoff a bounded number of times (core/mailtasks.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import Task, shared_task

from core.locks import Busy, exclusive
from core.mail import MailError, MailTemporaryError
from core.mailtasks import retry_or_give_up
from core.realtime.hub import encode, publish_many
from core.redis_clients import REDIS_DOWN
from expenses import mail
from expenses.limits import MAIL_BATCH, monthly_limits_check
from expenses.selectors import alert_as_event, expenses_topic

logger = logging.getLogger(__name__)

SOFT_LIMIT = 120
HARD_LIMIT = 150  # the lock is held this long, so a killed run's lock is gone when it is retried
LOCK_WAIT = 5
MAIL_TASK = {"bind": True, "acks_late": True, "reject_on_worker_lost": True, "ignore_result": True,
             "max_retries": None, "soft_time_limit": SOFT_LIMIT, "time_limit": HARD_LIMIT}  # fmt: skip


def _send_once(task: Task, what: str, object_id: int, send: Callable[[], str]) -> None:
    try:
        with exclusive(what, object_id, hold=HARD_LIMIT, wait=LOCK_WAIT):
            outcome = send()
    except Busy:  # another delivery is sending it: look again once its lock has surely expired
        task.apply_async((object_id,), countdown=HARD_LIMIT)
        return
    except REDIS_DOWN as error:  # no lock, so nothing was sent: try again later
        retry_or_give_up(task, MailTemporaryError(f"Redis is unreachable: {error}"), gave_up="no lock")
        return
    except MailError as error:
        retry_or_give_up(task, error, gave_up=f"{what} {object_id}'s e-mail not sent")
        return
    logger.info("%s %s: %s", what, object_id, outcome)


@shared_task(**MAIL_TASK)
def send_expense_email_notification(self: Task, expense_id: int) -> None:
    """E-mail the owner that an expense was added (if their notifications are on), once."""
    _send_once(self, "expense-mail", expense_id, lambda: mail.expense_mail(expense_id=expense_id))


@shared_task(**MAIL_TASK)
def send_limit_alert(self: Task, alert_id: int) -> None:
    """E-mail a crossed limit (if notifications are on), once."""
    _send_once(self, "limit-alert", alert_id, lambda: mail.limit_alert_mail(alert_id=alert_id))


@shared_task(ignore_result=True, soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)
def send_limit_alerts(alert_ids: list[int]) -> None:
    """A batch from the monthly check, handed out one task per alert (each retried on its own)."""
    for alert_id in alert_ids:
        send_limit_alert.delay(alert_id)


@shared_task(ignore_result=True, soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)
def check_monthly_limits() -> dict:
    """Beat's check of this month's limits for every user: missing alerts inserted, told live, and
    their e-mails enqueued in batches. Safe to run twice: an alert exists once."""
    outcome = monthly_limits_check()
    for start in range(0, len(outcome.to_mail), MAIL_BATCH):
        send_limit_alerts.delay(outcome.to_mail[start : start + MAIL_BATCH])
    try:
        publish_many([
            (expenses_topic(alert.owner_id), encode({"type": "alert", "alert": alert_as_event(alert)}))
            for alert in outcome.to_tell
        ])  # fmt: skip
    except REDIS_DOWN:  # the alerts are stored (pages show them when they read the month) and e-mailed
        logger.warning("monthly limits: %d alerts could not be told live (Redis is unreachable)", len(outcome.to_tell))
    result = outcome.as_result()
    logger.info("monthly limits: %s", result)
    return result
