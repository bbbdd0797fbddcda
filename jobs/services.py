"""Writes for jobs: every change of a job's state goes through here and is published after commit.

A run of a job is fenced by its attempt number: job_start increments it, and every later write of
that run (progress, heartbeat, finish, fail) applies only while the job is still running under
that attempt. A cancelled job, or one taken over after its worker died, refuses the old run's writes.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.realtime.hub import encode, publish_raw_on_commit
from core.retry import backoff_seconds
from jobs.kinds import kind_get
from jobs.models import ERRORS_KEPT, Job
from jobs.selectors import job_as_event, job_may_manage

logger = logging.getLogger(__name__)

STAFF_TOPIC = "jobs.staff"
# Progress is written (and pushed to the page) at most this often per job; the final write always.
PROGRESS_INTERVAL = 0.5
PARAMS_MAX_BYTES = 10_000
RESULT_MAX_BYTES = 10_000
RUNS_PER_TRY = 3

# When this process last wrote each running job's progress (time.monotonic()).
_last_write: dict[int, float] = {}


class JobCancelled(Exception):
    """The job is no longer running under this attempt: cancelled, or taken over by another run."""


class JobBusy(Exception):
    """Another run holds the job and its heartbeat is fresh: a duplicate delivery, or a run that just died."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"job {job.pk} is running under attempt {job.attempts}")
        self.job = job


class JobStateError(Exception):
    """The change asked for does not apply to the job's current state (e.g. cancelling a finished job)."""


def user_topic(user_id: int) -> str:
    return f"jobs.user.{int(user_id)}"


def _publish(job: Job) -> None:
    """The owner's pages and every staff page hear of the job once the transaction commits."""
    frame = encode({"type": "job", "job": job_as_event(job)})
    publish_raw_on_commit(user_topic(job.owner_id), frame)
    publish_raw_on_commit(STAFF_TOPIC, frame)


def _publish_fresh(job_id: int) -> Job:
    job = Job.objects.select_related("owner").get(pk=job_id)
    _publish(job)
    return job


def _json_size(value: object, *, what: str, limit: int) -> None:
    try:
        size = len(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValidationError(f"the job's {what} must be plain JSON: {error}") from None
    if size > limit:
        raise ValidationError(f"the job's {what} is {size} bytes of JSON, over the limit of {limit}")


# -- Creating, enqueueing ------------------------------------------------------------------------


def job_create(*, owner: User, kind: str, params: dict[str, Any] | None = None) -> Job:
    """Store a queued job and enqueue its run once the transaction commits (the task gets the id)."""
    spec = kind_get(kind)
    clean = spec.clean_params(dict(params or {}))
    _json_size(clean, what="parameters", limit=PARAMS_MAX_BYTES)
    with transaction.atomic():
        job = Job.objects.create(
            owner=owner, kind=kind, params=clean, celery_task_id=uuid.uuid4().hex, max_attempts=RUNS_PER_TRY
        )
        _publish(job)
        transaction.on_commit(lambda: job_enqueue(job_id=job.pk, kind=kind, task_id=job.celery_task_id))
    return job


def job_enqueue(*, job_id: int, kind: str, task_id: str | None = None, countdown: float | None = None) -> None:
    """Send the job's run to the workers, with its kind's time limits; call it after commit.

    A broker that cannot be reached fails the job visibly instead of leaving it queued forever.
    """
    try:
        _send_run(job_id=job_id, kind=kind, task_id=task_id, countdown=countdown)
    except Exception:
        logger.exception("could not enqueue job %s", job_id)
        job_fail(job_id=job_id, error="could not reach the job queue; retry later")


def job_look_again_later(*, job: Job) -> None:
    """Another run holds the job: send this delivery again once that run's heartbeat would be stale.

    By then the job is finished (the new delivery does nothing) or its run died (it takes over).
    If the broker cannot be reached, the live run goes on and the stale-job sweep covers its death.
    """
    try:
        _send_run(job_id=job.pk, kind=job.kind, countdown=settings.JOBS_STALE_SECONDS)
    except Exception:
        logger.exception("could not look at job %s again later", job.pk)


def _send_run(*, job_id: int, kind: str, task_id: str | None = None, countdown: float | None = None) -> None:
    from jobs.tasks import run_job

    spec = kind_get(kind)
    limits = {"soft_time_limit": spec.soft_time_limit, "time_limit": spec.time_limit}
    run_job.apply_async((job_id,), task_id=task_id, countdown=countdown, **limits)


# -- A run: start, progress, heartbeat, finish, fail ---------------------------------------------


def job_start(*, job_id: int, task_id: str) -> Job | None:
    """Claim the job for this run: a queued job, or a running one whose worker is gone (stale heartbeat).

    Returns the job (its `attempts` is this run's fence), None when there is nothing to run (the job
    is finished, cancelled or gone), or raises JobBusy when a live run holds it.
    """
    now = timezone.now()
    claimable = Q(state=Job.State.QUEUED) | Q(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - timedelta(seconds=settings.JOBS_STALE_SECONDS)),
        state=Job.State.RUNNING,
    )
    with transaction.atomic():
        worn_out = Job.objects.filter(claimable, pk=job_id, attempts__gte=F("max_attempts"))
        if worn_out.update(
            state=Job.State.FAILED,
            finished_at=now,
            error="gave up: its runs kept stopping before the end (worker killed or time limit)",
        ):
            _publish_fresh(job_id)
            return None
        claimed = Job.objects.filter(claimable, pk=job_id).update(
            state=Job.State.RUNNING,
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), now),
            heartbeat_at=now,
            celery_task_id=task_id,
        )
        job = Job.objects.select_related("owner").filter(pk=job_id).first()
        if job is None:
            return None
        if claimed:
            _publish(job)
            return job
    if job.state == Job.State.RUNNING:
        raise JobBusy(job)
    return None


def job_progress(
    *,
    job_id: int,
    attempt: int,
    done: int,
    total: int | None = None,
    errors: list[dict[str, Any]] | None = None,
    error_count: int | None = None,
    force: bool = False,
) -> bool:
    """Record how far the run is (at most every PROGRESS_INTERVAL per job, the final one always).

    Returns whether it was written; raises JobCancelled when the job is no longer this run's, so a
    cancelled job stops at its next write.
    """
    if done < 0 or (total is not None and not 0 <= done <= total):
        raise ValueError(f"progress {done} of {total} is not possible")
    final = total is not None and done >= total
    clock = time.monotonic()
    if not (force or final) and clock - _last_write.get(job_id, float("-inf")) < PROGRESS_INTERVAL:
        return False
    fields: dict[str, Any] = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    if errors is not None:
        fields["errors"] = errors[:ERRORS_KEPT]
        fields["error_count"] = max(error_count or 0, len(fields["errors"]))
    with transaction.atomic():
        if not Job.objects.filter(pk=job_id, state=Job.State.RUNNING, attempts=attempt).update(**fields):
            _last_write.pop(job_id, None)
            raise JobCancelled(job_id)
        _publish_fresh(job_id)
    _last_write[job_id] = clock
    return True


def job_checkpoint(
    *,
    job_id: int,
    attempt: int,
    done: int,
    total: int | None = None,
    errors: list[dict[str, Any]] | None = None,
    error_count: int | None = None,
) -> None:
    """Record how far the run is inside the caller's transaction, with the work it just wrote: the
    progress is the run's cursor and commits (or rolls back) with that work. Pushed to the page at
    most every PROGRESS_INTERVAL (the final one always); raises JobCancelled if no longer this run's."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("job_checkpoint belongs inside the transaction that writes the work")
    if done < 0 or (total is not None and not 0 <= done <= total):
        raise ValueError(f"progress {done} of {total} is not possible")
    fields: dict[str, Any] = {"done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    if errors is not None:
        fields["errors"] = errors[:ERRORS_KEPT]
        fields["error_count"] = max(error_count or 0, len(fields["errors"]))
    if not Job.objects.filter(pk=job_id, state=Job.State.RUNNING, attempts=attempt).update(**fields):
        raise JobCancelled(job_id)
    clock = time.monotonic()
    final = total is not None and done >= total
    if final or clock - _last_write.get(job_id, float("-inf")) >= PROGRESS_INTERVAL:
        _publish_fresh(job_id)
        _last_write[job_id] = clock


def job_heartbeat(*, job_id: int, attempt: int) -> bool:
    """Say the run is alive (no event: nothing a person sees changed). False once it is no longer this run's."""
    return bool(
        Job.objects.filter(pk=job_id, state=Job.State.RUNNING, attempts=attempt).update(heartbeat_at=timezone.now())
    )


def job_finish(*, job_id: int, attempt: int, result: object) -> bool:
    """Mark the run done with its (small, JSON) result; False if the job is no longer this run's."""
    _json_size(result, what="result", limit=RESULT_MAX_BYTES)
    _last_write.pop(job_id, None)
    now = timezone.now()
    with transaction.atomic():
        if not Job.objects.filter(pk=job_id, state=Job.State.RUNNING, attempts=attempt).update(
            state=Job.State.DONE, result=result, finished_at=now, heartbeat_at=now, error=""
        ):
            return False
        _publish_fresh(job_id)
    return True


def job_fail(*, job_id: int, error: str, attempt: int | None = None) -> bool:
    """Mark the job failed with a one-line reason (of this run, when `attempt` is given)."""
    _last_write.pop(job_id, None)
    jobs = Job.objects.filter(pk=job_id, state__in=Job.ACTIVE)
    if attempt is not None:
        jobs = jobs.filter(state=Job.State.RUNNING, attempts=attempt)
    with transaction.atomic():
        if not jobs.update(state=Job.State.FAILED, error=error[:1000], finished_at=timezone.now()):
            return False
        _publish_fresh(job_id)
    return True


def job_retry_later(*, job_id: int, attempt: int, reason: str) -> float | None:
    """This run failed for a transient reason: queue the job again after a backoff, or fail it once
    it has been retried TRANSIENT_RETRIES times. Returns the countdown, or None if it failed (or is
    no longer this run's). The page shows the reason and when the next try is due."""
    _last_write.pop(job_id, None)
    job = Job.objects.filter(pk=job_id, state=Job.State.RUNNING, attempts=attempt).values("retries").first()
    if job is None:
        return None
    tries = job["retries"]
    if tries >= settings.TRANSIENT_RETRIES:
        job_fail(job_id=job_id, attempt=attempt, error=f"gave up after {tries + 1} tries: {reason}")
        return None
    countdown = backoff_seconds(tries, base=settings.TRANSIENT_RETRY_BASE, cap=settings.TRANSIENT_RETRY_CAP)
    task_id = uuid.uuid4().hex
    with transaction.atomic():
        if not Job.objects.filter(pk=job_id, state=Job.State.RUNNING, attempts=attempt).update(
            state=Job.State.QUEUED,
            retries=F("retries") + 1,
            heartbeat_at=None,
            celery_task_id=task_id,
            # A deferred run is not a dying one: it does not use up the runs allowed.
            max_attempts=F("max_attempts") + 1,
            error=f"try {tries + 1} of {settings.TRANSIENT_RETRIES + 1} failed: {reason}"[:900]
            + f"; trying again in {countdown:.0f} s",
        ):
            return None
        fresh = _publish_fresh(job_id)
        transaction.on_commit(
            partial(job_enqueue, job_id=job_id, kind=fresh.kind, task_id=task_id, countdown=countdown)
        )
    return countdown


# -- What people do: cancel, retry ---------------------------------------------------------------


def _authorise(*, job: Job, by: User | AnonymousUser, action: str) -> None:
    if not job_may_manage(user=by, job=job):
        raise PermissionDenied(f"only the job's owner or staff may {action} it")


def job_cancel(*, job: Job, by: User | AnonymousUser) -> Job:
    """Cancel a queued or running job (owner or staff). A running one stops at its next progress write."""
    _authorise(job=job, by=by, action="cancel")
    with transaction.atomic():
        if not Job.objects.filter(pk=job.pk, state__in=Job.ACTIVE).update(
            state=Job.State.CANCELLED, finished_at=timezone.now(), error=f"cancelled by {by.get_username()}"
        ):
            state = Job.objects.filter(pk=job.pk).values_list("state", flat=True).first()
            raise JobStateError(f"the job is {state or 'gone'}; only queued or running jobs can be cancelled")
        return _publish_fresh(job.pk)


def job_retry(*, job: Job, by: User | AnonymousUser) -> Job:
    """Run a failed or cancelled job again from the start (owner or staff), enqueued after commit."""
    _authorise(job=job, by=by, action="retry")
    task_id = uuid.uuid4().hex
    with transaction.atomic():
        if not Job.objects.filter(pk=job.pk, state__in=[Job.State.FAILED, Job.State.CANCELLED]).update(
            state=Job.State.QUEUED,
            done=0,
            total=None,
            result=None,
            error="",
            errors=[],
            error_count=0,
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
            retries=0,
            celery_task_id=task_id,
            max_attempts=F("attempts") + RUNS_PER_TRY,
        ):
            state = Job.objects.filter(pk=job.pk).values_list("state", flat=True).first()
            raise JobStateError(f"the job is {state or 'gone'}; only failed or cancelled jobs can be retried")
        fresh = _publish_fresh(job.pk)
        transaction.on_commit(lambda: job_enqueue(job_id=fresh.pk, kind=fresh.kind, task_id=task_id))
    return fresh


# -- Runs whose worker is gone -------------------------------------------------------------------


def jobs_resume_stale(*, limit: int = 500) -> list[int]:
    """Queue again the running jobs whose heartbeat is stale (their worker died) and enqueue them.

    Each is claimed with a conditional UPDATE, so two workers starting together resume a job once.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    stale = Q(state=Job.State.RUNNING) & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=cutoff))
    resumed = []
    for job_id, kind in Job.objects.filter(stale).values_list("pk", "kind")[:limit]:
        task_id = uuid.uuid4().hex
        with transaction.atomic():
            if not Job.objects.filter(stale, pk=job_id).update(
                state=Job.State.QUEUED, heartbeat_at=None, celery_task_id=task_id
            ):
                continue
            _publish_fresh(job_id)
            transaction.on_commit(partial(job_enqueue, job_id=job_id, kind=kind, task_id=task_id))
        resumed.append(job_id)
    if resumed:
        logger.warning("resumed %d job(s) whose worker stopped: %s", len(resumed), resumed)
    return resumed
