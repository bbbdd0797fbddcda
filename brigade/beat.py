"""Beat's scheduler: the database (admin → Periodic tasks) is the only source of the schedule.

django-celery-beat's DatabaseScheduler writes two things at every start, each with
update_or_create, so over whatever the admin changed: the entries of CELERY_BEAT_SCHEDULE, and
Celery's default `celery.backend_cleanup` (daily at 04:00, while result_expires is set). Brigade
keeps results in Redis, which expires them itself, so that task would do nothing; and the
defaults come from a data migration (core/migrations/0001_default_beat_schedules.py), once.
"""

from __future__ import annotations

import logging

from django_celery_beat.schedulers import DatabaseScheduler as StockDatabaseScheduler

logger = logging.getLogger(__name__)


class DatabaseScheduler(StockDatabaseScheduler):
    """DatabaseScheduler that writes nothing at start: entries are read from the database only."""

    def setup_schedule(self) -> None:
        if self.app.conf.beat_schedule:
            logger.warning(
                "beat_schedule (CELERY_BEAT_SCHEDULE) is ignored: %s; edit Periodic tasks in the admin",
                ", ".join(self.app.conf.beat_schedule),
            )
