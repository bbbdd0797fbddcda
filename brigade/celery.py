"""The Celery application: configured from Django settings (CELERY_* names)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import beat_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brigade.settings")

app = Celery("brigade")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def _heartbeat_at_start(sender, **kwargs) -> None:
    """Beat's interval schedule first fires one interval after start; report alive at once."""
    app.send_task("core.tasks.beat_heartbeat")


@worker_process_init.connect
def _connection_per_task_in_pool_children(**kwargs) -> None:
    """A prefork child runs one task at a time, and Celery's Django fixup closes a psycopg pool
    after every task there (a pool must not cross a fork): the pool would only open DB_POOL_MIN
    connections per task. The child connects per task instead, as without a pool."""
    from django.conf import settings

    settings.DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
