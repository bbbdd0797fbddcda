"""The monthly-limit check is on beat's schedule from the first migrate, and names a registered task."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from brigade.celery import app

pytestmark = pytest.mark.django_db


def test_the_monthly_limit_check_runs_every_quarter_hour():
    task = PeriodicTask.objects.get(name="check-monthly-limits")
    assert task.task == "expenses.tasks.check_monthly_limits"
    assert (task.interval.every, task.interval.period) == (900, "seconds")
    assert task.expire_seconds == 900
    app.loader.import_default_modules()
    assert task.task in app.tasks
