"""The job store's one write path: states, fencing, throttled progress, events after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from jobs import services
from jobs.models import ERRORS_KEPT, Job
from jobs.progress import Progress
from jobs.services import STAFF_TOPIC, JobBusy, JobCancelled, JobStateError, user_topic
from jobs.tasks import run_job

pytestmark = pytest.mark.django_db

DEMO = "demo.count"
QUICK = {"count": 4, "step_seconds": 0}


@pytest.fixture
def create(django_capture_on_commit_callbacks, owner):
    def make(*, by=None, kind=DEMO, params=QUICK) -> Job:
        with django_capture_on_commit_callbacks(execute=True):
            return services.job_create(owner=by or owner, kind=kind, params=params)

    return make


def started(job: Job) -> Job:
    claimed = services.job_start(job_id=job.pk, task_id="test-task")
    assert claimed is not None
    return claimed


def state(job: Job) -> str:
    return Job.objects.get(pk=job.pk).state


class TestCreate:
    def test_a_job_is_stored_queued_and_its_task_enqueued_with_the_id_only(self, create, queue):
        job = create()

        assert (job.state, job.done, job.total, job.attempts) == ("queued", 0, None, 0)
        assert job.params == {"count": 4, "step_seconds": 0.0, "fail_on_attempt": None, "error_every": None}
        [task] = queue.tasks()
        assert task["task"] == "jobs.tasks.run_job"
        assert task["args"] == [job.pk]
        assert task["id"] == job.celery_task_id
        assert task["timelimit"] == [660, 600]  # the kind's, below the visibility timeout

    def test_nothing_is_enqueued_for_a_rolled_back_transaction(self, owner, queue, django_capture_on_commit_callbacks):
        def request_that_fails_after_creating_a_job():
            with transaction.atomic():
                services.job_create(owner=owner, kind=DEMO, params=QUICK)
                raise RuntimeError("the request failed after creating the job")

        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            request_that_fails_after_creating_a_job()

        assert not Job.objects.exists()
        assert queue.tasks() == []

    @pytest.mark.parametrize(
        "kind, params, message",
        [
            ("no.such.kind", {}, "unknown kind of job"),
            ("", {}, "unknown kind of job"),
            (DEMO, {"count": 0}, "count"),
            (DEMO, {"count": "many"}, "count"),
            (DEMO, {"step_seconds": float("nan")}, "step_seconds"),
            (DEMO, {"surprise": 1}, "surprise"),
        ],
    )
    def test_bad_kinds_and_params_are_refused_and_nothing_is_stored(self, owner, queue, kind, params, message):
        with pytest.raises(ValidationError, match=message):
            services.job_create(owner=owner, kind=kind, params=params)
        assert not Job.objects.exists()
        assert queue.tasks() == []

    def test_the_owner_and_staff_hear_of_it_after_commit(self, create, owner, listen):
        events = listen(user_topic(owner.pk), STAFF_TOPIC)
        job = create()

        received = events.received()
        assert [e["type"] for e in received] == ["job", "job"]  # once on each topic
        assert {e["job"]["id"] for e in received} == {job.pk}
        assert received[0]["job"]["owner"] == "owner"
        assert received[0]["job"]["state"] == "queued"


class TestRun:
    def test_a_job_is_claimed_once_and_a_second_delivery_waits_or_does_nothing(self, create):
        job = create()
        run = started(job)
        assert (run.state, run.attempts) == ("running", 1)

        # A second delivery while the first run is alive: busy
        with pytest.raises(JobBusy):
            services.job_start(job_id=job.pk, task_id="duplicate")

        # Once finished, a delivery does nothing
        assert services.job_finish(job_id=job.pk, attempt=run.attempts, result={"counted": 4})
        assert services.job_start(job_id=job.pk, task_id="late duplicate") is None
        assert Job.objects.get(pk=job.pk).attempts == 1

    def test_a_run_whose_heartbeat_is_stale_is_taken_over_and_the_old_run_is_fenced_off(self, create, settings):
        job = create()
        first = started(job)
        Job.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - timedelta(seconds=settings.JOBS_STALE_SECONDS + 1)
        )

        second = started(job)

        assert second.attempts == first.attempts + 1
        with pytest.raises(JobCancelled):
            services.job_progress(job_id=job.pk, attempt=first.attempts, done=1, total=4, force=True)
        assert not services.job_finish(job_id=job.pk, attempt=first.attempts, result={})
        assert not services.job_heartbeat(job_id=job.pk, attempt=first.attempts)
        assert services.job_finish(job_id=job.pk, attempt=second.attempts, result={"counted": 4})

    def test_a_job_whose_runs_keep_dying_fails_instead_of_running_forever(self, create):
        job = create()
        Job.objects.filter(pk=job.pk).update(attempts=3)  # three runs started and never finished

        assert services.job_start(job_id=job.pk, task_id="fourth") is None

        job.refresh_from_db()
        assert job.state == "failed"
        assert "kept stopping" in job.error

    def test_progress_is_written_at_most_twice_a_second_and_the_final_write_always(
        self, create, listen, owner, django_capture_on_commit_callbacks
    ):
        run = started(create())
        events = listen(user_topic(owner.pk))

        with django_capture_on_commit_callbacks(execute=True):
            assert services.job_progress(job_id=run.pk, attempt=run.attempts, done=1, total=4)
            assert not services.job_progress(job_id=run.pk, attempt=run.attempts, done=2, total=4)
            assert services.job_progress(job_id=run.pk, attempt=run.attempts, done=4, total=4)  # final

        assert Job.objects.get(pk=run.pk).done == 4
        assert [(e["job"]["done"], e["job"]["total"]) for e in events.received()] == [(1, 4), (4, 4)]

    @pytest.mark.parametrize("done, total", [(-1, None), (5, 4)])
    def test_impossible_progress_is_refused(self, create, done, total):
        run = started(create())
        with pytest.raises(ValueError, match="not possible"):
            services.job_progress(job_id=run.pk, attempt=run.attempts, done=done, total=total, force=True)

    def test_the_per_item_error_report_keeps_the_first_thousand_and_counts_all(self, create):
        run = started(create())
        progress = Progress(run)
        for n in range(ERRORS_KEPT + 500):
            progress.error(item=n, field="quantity", message="must be positive")
        progress.flush()

        job = Job.objects.get(pk=run.pk)
        assert job.error_count == ERRORS_KEPT + 500
        assert len(job.errors) == ERRORS_KEPT
        assert job.errors[0] == {"item": "0", "field": "quantity", "message": "must be positive"}

    def test_a_result_too_large_fails_the_job_with_a_reason(self, create):
        run = started(create())
        with pytest.raises(ValidationError, match="over the limit"):
            services.job_finish(job_id=run.pk, attempt=run.attempts, result={"x": "y" * 20_000})


class TestCancel:
    def test_the_owner_cancels_a_running_job_and_its_next_progress_write_stops_it(self, create, owner):
        run = started(create())

        cancelled = services.job_cancel(job=run, by=owner)

        assert cancelled.state == "cancelled"
        assert cancelled.error == "cancelled by owner"
        with pytest.raises(JobCancelled):
            services.job_progress(job_id=run.pk, attempt=run.attempts, done=1, total=4, force=True)
        assert not services.job_finish(job_id=run.pk, attempt=run.attempts, result={})
        assert state(run) == "cancelled"

    def test_a_queued_job_cancelled_never_runs(self, create, owner):
        job = create()
        services.job_cancel(job=job, by=owner)
        assert services.job_start(job_id=job.pk, task_id="t") is None
        assert state(job) == "cancelled"

    def test_staff_may_cancel_anyones_job_other_chefs_may_not(self, create, other, staff):
        job = create()
        with pytest.raises(PermissionDenied):
            services.job_cancel(job=job, by=other)
        assert state(job) == "queued"
        assert services.job_cancel(job=job, by=staff).error == "cancelled by boss"

    def test_a_finished_job_cannot_be_cancelled(self, create, owner):
        run = started(create())
        services.job_finish(job_id=run.pk, attempt=run.attempts, result={})
        with pytest.raises(JobStateError, match="is done"):
            services.job_cancel(job=run, by=owner)


class TestRetry:
    def test_a_failed_job_is_queued_again_from_the_start_and_enqueued(
        self, create, owner, queue, django_capture_on_commit_callbacks
    ):
        run = started(create())
        progress = Progress(run)
        progress.error(item=1, message="bad")
        progress(2, 4)
        services.job_fail(job_id=run.pk, attempt=run.attempts, error="boom")
        queue.clear()

        with django_capture_on_commit_callbacks(execute=True):
            retried = services.job_retry(job=run, by=owner)

        assert (retried.state, retried.done, retried.total, retried.error, retried.errors) == (
            "queued",
            0,
            None,
            "",
            [],
        )
        assert retried.attempts == 1  # attempts keep counting: they fence off older runs
        [task] = queue.tasks()
        assert task["args"] == [run.pk]
        assert task["id"] == retried.celery_task_id != run.celery_task_id
        assert started(retried).attempts == 2

    def test_only_failed_or_cancelled_jobs_are_retried_and_only_by_owner_or_staff(self, create, owner, other, staff):
        job = create()
        with pytest.raises(JobStateError, match="is queued"):
            services.job_retry(job=job, by=owner)
        services.job_cancel(job=job, by=owner)
        with pytest.raises(PermissionDenied):
            services.job_retry(job=job, by=other)
        assert services.job_retry(job=job, by=staff).state == "queued"


class TestResume:
    def test_running_jobs_with_a_stale_heartbeat_are_queued_again_once(
        self, create, queue, settings, django_capture_on_commit_callbacks
    ):
        stale, fresh = started(create()), started(create())
        Job.objects.filter(pk=stale.pk).update(
            heartbeat_at=timezone.now() - timedelta(seconds=settings.JOBS_STALE_SECONDS + 1)
        )
        queue.clear()

        with django_capture_on_commit_callbacks(execute=True):
            assert services.jobs_resume_stale() == [stale.pk]
            assert services.jobs_resume_stale() == []  # a second worker starting finds nothing to take

        assert (state(stale), state(fresh)) == ("queued", "running")
        assert [t["args"] for t in queue.tasks()] == [[stale.pk]]


class TestTheTask:
    """run_job called in this process (its logic); tests/ and test_worker.py run it on a real worker."""

    def test_a_demo_job_counts_to_the_end_and_records_its_result(self, create):
        job = create(params={"count": 3, "step_seconds": 0, "error_every": 2})
        run_job(job.pk)
        job.refresh_from_db()
        assert (job.state, job.done, job.total, job.result) == ("done", 3, 3, {"counted": 3})
        assert job.errors == [{"item": "2", "field": "n", "message": "2 is a multiple of 2"}]
        assert job.started_at <= job.finished_at

    def test_a_failing_handler_fails_the_job_with_its_reason_and_a_retry_succeeds(self, create, owner):
        job = create(params={"count": 4, "step_seconds": 0, "fail_on_attempt": 1})
        run_job(job.pk)
        job.refresh_from_db()
        assert job.state == "failed"
        assert job.error == "DemoFailure: failed on purpose at 3 (attempt 1)"
        assert job.done == 2

        services.job_retry(job=job, by=owner)
        run_job(job.pk)
        job.refresh_from_db()
        assert (job.state, job.done, job.result) == ("done", 4, {"counted": 4})

    def test_the_same_task_delivered_twice_runs_the_job_once(
        self, create, listen, owner, django_capture_on_commit_callbacks
    ):
        job = create()
        events = listen(user_topic(owner.pk))
        with django_capture_on_commit_callbacks(execute=True):
            run_job(job.pk)
        assert [e["job"]["state"] for e in events.received()][-1] == "done"
        with django_capture_on_commit_callbacks(execute=True):
            run_job(job.pk)
        job.refresh_from_db()
        assert (job.state, job.attempts) == ("done", 1)
        assert events.received() == []
