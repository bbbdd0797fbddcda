"""Tasks for tests only, loaded by a test worker with `-I tests.worker_tasks` (never by the project)."""

from __future__ import annotations

import time

from celery import shared_task

from core.redis_clients import key, sync_client


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def mark_slowly(name: str, seconds: float) -> None:
    """Count a start under `name` in Redis, take `seconds`, then count a finish."""
    sync_client().incr(key("test-task", name, "started"))
    time.sleep(seconds)
    sync_client().incr(key("test-task", name, "finished"))
