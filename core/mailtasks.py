"""How e-mail tasks retry: a temporary failure (SMTP or Redis down) again after a backoff, a bounded
number of times; a permanent one, or the last try, is logged and given up."""

from __future__ import annotations

import logging

from celery import Task
from django.conf import settings

from core.mail import MailError
from core.retry import backoff_seconds

logger = logging.getLogger(__name__)


def retry_or_give_up(task: Task, error: MailError, *, gave_up: str) -> None:
    """Retry a temporary failure after a backoff, at most TRANSIENT_RETRIES times; else record it."""
    tries = task.request.retries
    if error.temporary and tries < settings.TRANSIENT_RETRIES:
        countdown = backoff_seconds(tries, base=settings.TRANSIENT_RETRY_BASE, cap=settings.TRANSIENT_RETRY_CAP)
        logger.warning("%s: %s; try %d again in %.1f s", task.name, error, tries + 2, countdown)
        raise task.retry(countdown=countdown, exc=error)
    logger.error("%s: %s (%s)", task.name, gave_up, error)
