"""E-mail tasks: completion notices and daily reports. Each takes ids, loads fresh state, holds a
lock while it sends (two deliveries never send together), and skips what was already sent; SMTP
and network failures are retried with exponential backoff and jitter, a bounded number of times."""

from __future__ import annotations

import logging
from datetime import date

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from core.locks import Busy, exclusive
from core.mail import MailError, MailTemporaryError
from core.mailtasks import retry_or_give_up
from core.redis_clients import REDIS_DOWN
from notifications import services

logger = logging.getLogger(__name__)

# Time limits of one run; the lock is held for the hard limit, so a killed run's lock has expired
# by the time its delivery is looked at again.
SOFT_LIMIT = 120
HARD_LIMIT = 150
LOCK_WAIT = 5


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=None,
             soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)  # fmt: skip
def notify_recipe_completion(self: Task, completion_id: int) -> None:
    """E-mail a completed recipe's owner and collaborators (enqueued after the completion commits)."""
    try:
        with exclusive("completion", completion_id, hold=HARD_LIMIT, wait=LOCK_WAIT):
            counts = services.completion_notify(completion_id=completion_id)
    except Busy:
        notify_recipe_completion.apply_async((completion_id,), countdown=HARD_LIMIT)
        return
    except REDIS_DOWN as error:  # the lock cannot be taken: nothing was sent, try again later
        retry_or_give_up(self, MailTemporaryError(f"Redis is unreachable: {error}"), gave_up="no lock")
        return
    except MailError as error:
        retry_or_give_up(self, error, gave_up=f"completion {completion_id}'s notices not all sent")
        return
    logger.info("completion %s: %s", completion_id, counts)


@shared_task(ignore_result=True, soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)
def send_daily_reports(day: str | None = None) -> dict:
    """Beat's daily run: plan every chef's report of the day (once, however many beats) and fan out."""
    when = date.fromisoformat(day) if day else timezone.localdate()
    plan = services.daily_reports_plan(day=when)
    for chef_id in plan["pending"]:
        send_chef_report.delay(chef_id, plan["day"])
    logger.info("daily reports for %s: %d queued, %d skipped (no e-mail address): %s",
                plan["day"], len(plan["pending"]), len(plan["skipped"]), ", ".join(plan["skipped"]))  # fmt: skip
    return {"day": plan["day"], "queued": len(plan["pending"]), "skipped": plan["skipped"]}


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=None,
             soft_time_limit=SOFT_LIMIT, time_limit=HARD_LIMIT)  # fmt: skip
def send_chef_report(self: Task, chef_id: int, day: str) -> None:
    """One chef's report of the day, sent once; retried on SMTP and network errors, then failed."""
    when = date.fromisoformat(day)
    try:
        with exclusive("report", chef_id, day, hold=HARD_LIMIT, wait=LOCK_WAIT):
            services.chef_report_send(chef_id=chef_id, day=when)
    except Busy:
        send_chef_report.apply_async((chef_id, day), countdown=HARD_LIMIT)
    except REDIS_DOWN as error:  # the lock cannot be taken: nothing was sent, try again later
        retry_or_give_up(self, MailTemporaryError(f"Redis is unreachable: {error}"), gave_up="no lock")
    except MailError as error:
        final = not error.temporary or self.request.retries >= settings.TRANSIENT_RETRIES
        services.chef_report_trouble(chef_id=chef_id, day=when, error=error, final=final)
        retry_or_give_up(self, error, gave_up=f"chef {chef_id}'s report of {day} not sent")
