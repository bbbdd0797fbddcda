"""Checks that `manage.py check` (and so `make run` and `migrate`) runs for jobs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, register

from jobs.kinds import kinds_over_visibility_timeout


@register()
def time_limits_below_the_visibility_timeout(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Error]:
    """On Redis, a task unacknowledged for CELERY_VISIBILITY_TIMEOUT is delivered again: every job
    kind must stop before that (the run's fencing keeps a second delivery harmless, but it waits)."""
    if settings.CELERY_BROKER_URL.startswith("amqp"):
        return []
    return [
        Error(
            f"job kind {kind.name!r} may run {kind.time_limit} s, not below CELERY_VISIBILITY_TIMEOUT "
            f"({settings.CELERY_VISIBILITY_TIMEOUT} s)",
            hint="raise CELERY_VISIBILITY_TIMEOUT or lower the kind's time_limit",
            id="jobs.E001",
        )
        for kind in kinds_over_visibility_timeout()
    ]
