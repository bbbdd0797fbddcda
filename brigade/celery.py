"""The Celery application: configured from Django settings (CELERY_* names)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brigade.settings")

app = Celery("brigade")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def _heartbeat_at_start(sender, **kwargs) -> None:
    """Beat's interval schedule first fires one interval after start; report alive at once."""
    app.send_task("core.tasks.beat_heartbeat")
