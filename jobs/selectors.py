"""Reads for jobs: who may see which, and the one shape a job takes on the page, the socket and the API."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from jobs.kinds import kind_label
from jobs.models import Job

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# The page shows this much of each per-item report; the API's job detail has all that is kept.
ERRORS_SHOWN = 100
QUEUE_DEPTH_TIMEOUT = 2.0


def jobs_visible(*, user: User | AnonymousUser, everyone: bool = False) -> QuerySet[Job]:
    """The user's own jobs, newest first; staff asking for everyone's get every job."""
    jobs = Job.objects.select_related("owner").defer("errors", "params")
    if everyone and user.is_staff:
        return jobs
    return jobs.filter(owner_id=user.pk)


def job_visible(*, user: User | AnonymousUser, job_id: int) -> Job | None:
    """The job if the user owns it or is staff; None otherwise (the caller answers 404 either way)."""
    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or not job_may_manage(user=user, job=job):
        return None
    return job


async def ajob_visible(*, user: User | AnonymousUser, job_id: int) -> Job | None:
    """The job if the user owns it or is staff; None otherwise (the caller answers 404 either way)."""
    job = await Job.objects.select_related("owner").filter(pk=job_id).afirst()
    if job is None or not job_may_manage(user=user, job=job):
        return None
    return job


def job_may_manage(*, user: User | AnonymousUser, job: Job) -> bool:
    """Seeing, cancelling and retrying a job: its owner and staff."""
    return bool(user.is_authenticated and (job.owner_id == user.pk or user.is_staff))


def job_summary(result: object) -> str:
    """A job's result in one line for people: `counted: 20, skipped: 3`."""
    if result is None:
        return ""
    if isinstance(result, dict):
        return ", ".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in result.items())[:500]
    return json.dumps(result, ensure_ascii=False)[:500]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def job_as_event(job: Job) -> dict[str, Any]:
    """The job as the page, its socket and the API list show it (without the per-item report)."""
    return {
        "id": job.pk,
        "kind": job.kind,
        "label": kind_label(job.kind),
        "owner": job.owner.get_username(),
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "result": job.result,
        "summary": job_summary(job.result),
        "error": job.error,
        "error_count": job.error_count,
        "attempts": job.attempts,
        "retries": job.retries,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def job_as_detail(job: Job) -> dict[str, Any]:
    """The event plus the per-item error report (the first ERRORS_KEPT entries)."""
    return {**job_as_event(job), "errors": job.errors}


async def jobs_page(*, user: User | AnonymousUser, everyone: bool, limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """The jobs page's rows: events, plus the first ERRORS_SHOWN entries of each per-item report."""
    rows = [job_as_event(job) async for job in jobs_visible(user=user, everyone=everyone)[:limit]]
    with_errors = [row["id"] for row in rows if row["error_count"]]
    reports = {
        job_id: errors[:ERRORS_SHOWN]
        async for job_id, errors in Job.objects.filter(pk__in=with_errors).values_list("pk", "errors")
    }
    for row in rows:
        row["errors"] = reports.get(row["id"], [])
    return rows


def _broker_queue_depth() -> int:
    from brigade.celery import app

    name = settings.CELERY_TASK_DEFAULT_QUEUE
    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1)
        try:
            return int(connection.default_channel.queue_declare(name, passive=True).message_count)
        except connection.channel_errors:  # no such queue yet: nothing was ever sent to it
            return 0


async def queue_depth() -> int | None:
    """Tasks waiting in the default Celery queue, on Redis or RabbitMQ; None when the broker cannot say."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(_broker_queue_depth), timeout=QUEUE_DEPTH_TIMEOUT)
    except Exception:
        logger.warning("could not read the Celery queue's length", exc_info=True)
        return None
