"""The one Celery task of every job kind, and the rule that resumes jobs whose worker is gone.

run_job is acknowledged late and rejected (so delivered again) when its worker is lost: every
kind's handler must be idempotent, and the job's state guards make a second delivery of a finished
job a no-op. Time limits come from the kind and stay below the broker's visibility timeout.
"""

from __future__ import annotations

import contextlib
import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections

from jobs import services
from jobs.kinds import DEFAULT_SOFT_TIME_LIMIT, DEFAULT_TIME_LIMIT, JobFailed, JobRetryLater, UnknownJobKind, kind_get
from jobs.progress import Heartbeat, Progress

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=DEFAULT_SOFT_TIME_LIMIT,
    time_limit=DEFAULT_TIME_LIMIT,
)
def run_job(self, job_id: int) -> None:
    """Claim the job, run its kind's handler with a Progress, and record how it ended."""
    try:
        job = services.job_start(job_id=job_id, task_id=self.request.id or "")
    except services.JobBusy as busy:
        # A live run holds it (a duplicate delivery), or one that died a moment ago (a killed pool
        # process's task is delivered again at once): look again once its heartbeat would be stale.
        services.job_look_again_later(job=busy.job)
        return
    if job is None:
        logger.info("job %s has nothing to run (finished, cancelled or gone)", job_id)
        return
    try:
        kind = kind_get(job.kind)
    except UnknownJobKind as error:
        services.job_fail(job_id=job.pk, attempt=job.attempts, error=error.messages[0])
        return
    progress = Progress(job)
    with Heartbeat(job_id=job.pk, attempt=job.attempts):
        try:
            result = kind.handler(job, progress)
            progress.flush()
        except services.JobCancelled:
            logger.info("job %s stopped: cancelled or taken over", job.pk)
        except JobRetryLater as later:
            with contextlib.suppress(services.JobCancelled, DatabaseError):
                progress.flush()
            services.job_retry_later(job_id=job.pk, attempt=job.attempts, reason=later.reason)
        except JobFailed as failed:
            with contextlib.suppress(services.JobCancelled, DatabaseError):
                progress.flush()
            services.job_fail(job_id=job.pk, attempt=job.attempts, error=str(failed))
        except SoftTimeLimitExceeded:
            services.job_fail(
                job_id=job.pk, attempt=job.attempts, error=f"stopped at its time limit of {kind.soft_time_limit} s"
            )
        except Exception as error:
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            with contextlib.suppress(services.JobCancelled, DatabaseError):
                progress.flush()  # how far it got, and the items it reported, stay visible
            services.job_fail(job_id=job.pk, attempt=job.attempts, error=f"{type(error).__name__}: {error}")
        else:
            try:
                services.job_finish(job_id=job.pk, attempt=job.attempts, result=result)
            except ValidationError as error:  # a result that is not small, plain JSON
                services.job_fail(job_id=job.pk, attempt=job.attempts, error=error.messages[0])


@shared_task(ignore_result=True)
def resume_stale_jobs() -> None:
    """Queue again the jobs whose worker died (beat runs it every minute; a starting worker too)."""
    services.jobs_resume_stale()


@worker_ready.connect
def _resume_on_start(sender, **kwargs) -> None:
    """A worker that starts resumes jobs left running by a worker that is gone, and looks again once
    the heartbeat of a run cut off just before it started would be stale too."""
    try:
        services.jobs_resume_stale()
        resume_stale_jobs.apply_async(countdown=settings.JOBS_STALE_SECONDS + settings.JOBS_HEARTBEAT_SECONDS)
    except Exception:
        logger.exception("could not resume stale jobs at worker start")
    finally:
        connections.close_all()  # the pool's processes have their own
