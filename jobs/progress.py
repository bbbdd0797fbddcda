"""What a running job's handler reports through, and the heartbeat that says its worker is alive."""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from jobs import services
from jobs.models import ERRORS_KEPT, Job

logger = logging.getLogger(__name__)


class Progress:
    """`progress(done, total)` after each item and `progress.error(item=..., message=...)` for a bad one.

    Writes are throttled (services.job_progress); a call raises services.JobCancelled once the job
    is cancelled or taken over, which stops the handler. It starts from the job's stored progress,
    so a resumed run can carry on where the last one stopped.
    """

    def __init__(self, job: Job) -> None:
        self.job_id = job.pk
        self.attempt = job.attempts
        self.done = job.done
        self.total = job.total
        self.errors: list[dict] = list(job.errors)
        self.error_count = job.error_count
        self._errors_changed = False

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        self._write(force=False)

    def error(self, *, item: object, message: str, field: str = "") -> None:
        """Add an entry to the per-item error report (the first ERRORS_KEPT are kept, all are counted)."""
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append({"item": str(item)[:200], "field": str(field)[:100], "message": str(message)[:500]})
            self._errors_changed = True

    def checkpoint(self, done: int, total: int | None = None) -> None:
        """Inside the transaction that wrote the work up to `done`: commit the cursor with it
        (services.job_checkpoint), so a resumed run starts exactly after it."""
        self.done = done
        if total is not None:
            self.total = total
        services.job_checkpoint(
            job_id=self.job_id,
            attempt=self.attempt,
            done=self.done,
            total=self.total,
            errors=self.errors if self._errors_changed else None,
            error_count=self.error_count,
        )
        transaction.on_commit(self._written)

    def _written(self) -> None:
        self._errors_changed = False

    def flush(self) -> None:
        """Write what is not written yet (the run's last word before it finishes)."""
        self._write(force=True)

    def _write(self, *, force: bool) -> None:
        written = services.job_progress(
            job_id=self.job_id,
            attempt=self.attempt,
            done=self.done,
            total=self.total,
            errors=self.errors if self._errors_changed else None,
            error_count=self.error_count,
            force=force,
        )
        if written:
            self._errors_changed = False


class Heartbeat:
    """While the block runs, a thread writes the job's heartbeat every JOBS_HEARTBEAT_SECONDS, so a
    handler busy on one slow item is not taken for a dead one; it stops when the run is no longer
    the job's (the handler itself finds out at its next progress write)."""

    def __init__(self, *, job_id: int, attempt: int) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-{job_id}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self._stop.set()
        self._thread.join(timeout=settings.JOBS_HEARTBEAT_SECONDS + 5)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.JOBS_HEARTBEAT_SECONDS):
                try:
                    if not services.job_heartbeat(job_id=self.job_id, attempt=self.attempt):
                        return
                except DatabaseError:
                    logger.warning("could not write job %s's heartbeat", self.job_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection
