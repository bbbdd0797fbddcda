"""The trivial task bench/tasks.py counts tasks/s with; its worker loads it with `-I bench.bench_tasks`."""

from __future__ import annotations

from functools import cache

import redis
from celery import shared_task

from core.redis_clients import key, sync_client


@cache
def _client() -> redis.Redis:
    return sync_client()


def _done_key() -> str:
    return key("bench", "tasks-done")


@shared_task(ignore_result=True)
def bench_noop(number: int) -> None:
    """Nothing but counting itself done (one Redis INCR), so the bench sees the last one finish."""
    _client().incr(_done_key())


def done_count() -> int:
    return int(_client().get(_done_key()) or 0)


def done_reset() -> None:
    _client().delete(_done_key())
