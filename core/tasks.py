from __future__ import annotations

from celery import shared_task

from core.health import record_beat_heartbeat


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]  # celery ships no types
def beat_heartbeat() -> None:
    """Scheduled by beat, run by a worker: proves the beat -> broker -> worker path."""
    record_beat_heartbeat()
