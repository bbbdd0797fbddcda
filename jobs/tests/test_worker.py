"""Jobs on a real Celery worker (tests/worker.py) and real Redis: live progress, cancel, retry, a
task delivered twice, and workers killed with SIGKILL mid-job."""

from __future__ import annotations

import os
import signal

import pytest
from asgiref.sync import sync_to_async

from jobs import services
from jobs.models import Job
from jobs.services import user_topic
from jobs.tasks import run_job
from jobs.tests.test_consumers import connect
from kitchen.tests.factories import UserFactory
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def job_now(job: Job) -> Job:
    return Job.objects.get(pk=job.pk)


def wait_until(job: Job, predicate, *, what: str, timeout: float = 60) -> Job:
    found = {}

    def check() -> bool:
        found["job"] = job_now(job)
        return predicate(found["job"])

    wait_for(check, timeout=timeout, what=f"job {job.pk} {what}", interval=0.1)
    return found["job"]


async def test_a_job_runs_on_the_worker_and_its_progress_reaches_its_owner_live(celery_worker):
    owner, other = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    owner_socket, other_socket = await connect(owner), await connect(other)

    # When the owner starts a job of six slow steps
    job = await sync_to_async(services.job_create)(
        owner=owner, kind="demo.count", params={"count": 6, "step_seconds": 0.3}
    )

    # Then the owner's socket sees it queued, running, moving and done, in order
    seen = []
    while not seen or seen[-1]["state"] != "done":
        seen.append((await owner_socket.receive_json_from(timeout=30))["job"])
    assert {event["id"] for event in seen} == {job.pk}
    assert seen[0]["state"] == "queued"
    assert [event["done"] for event in seen] == sorted(event["done"] for event in seen)
    assert any(event["state"] == "running" and 0 < event["done"] < 6 for event in seen)  # live, not just at the end
    assert (seen[-1]["done"], seen[-1]["total"], seen[-1]["result"]) == (6, 6, {"counted": 6})
    # And another chef's socket heard nothing of it
    assert await other_socket.receive_nothing(timeout=0.5)
    await owner_socket.disconnect()
    await other_socket.disconnect()


def test_cancel_stops_a_running_job_at_its_next_progress_write(celery_worker, owner):
    job = services.job_create(owner=owner, kind="demo.count", params={"count": 500, "step_seconds": 0.05})
    wait_until(job, lambda j: j.done >= 3, what="to make progress")

    services.job_cancel(job=job, by=owner)

    wait_for(lambda: f"job {job.pk} stopped: cancelled" in celery_worker.output(), timeout=30,
             what="the worker to stop the cancelled job")  # fmt: skip
    stopped = job_now(job)
    assert stopped.state == "cancelled"
    assert stopped.done < 500
    assert stopped.result is None


def test_retry_runs_a_failed_job_again(celery_worker, owner):
    job = services.job_create(
        owner=owner, kind="demo.count", params={"count": 4, "step_seconds": 0, "fail_on_attempt": 1}
    )
    failed = wait_until(job, lambda j: j.state == "failed", what="to fail")
    assert failed.error == "DemoFailure: failed on purpose at 3 (attempt 1)"

    services.job_retry(job=failed, by=owner)

    done = wait_until(job, lambda j: j.state == "done", what="to be done")
    assert (done.attempts, done.done, done.result) == (2, 4, {"counted": 4})


def test_a_task_delivered_twice_runs_the_job_once(celery_worker, owner):
    job = services.job_create(owner=owner, kind="demo.count", params={"count": 10, "step_seconds": 0.1})
    # The same message again, as a broker redelivers it (same task id, same job id)
    run_job.apply_async((job.pk,), task_id=job.celery_task_id)

    wait_until(job, lambda j: j.state == "done", what="to be done")
    wait_for(lambda: f"job {job.pk} has nothing to run" in celery_worker.output(), timeout=30,
             what="the second delivery to find the job finished")  # fmt: skip
    assert job_now(job).attempts == 1


def test_a_worker_killed_mid_job_is_resumed_by_the_next_worker_from_its_progress(celery_worker, owner, listen):
    events = listen(user_topic(owner.pk))
    job = services.job_create(owner=owner, kind="demo.count", params={"count": 40, "step_seconds": 0.1})
    wait_until(job, lambda j: j.done >= 5, what="to make progress")

    # When the whole worker dies at once (SIGKILL: no goodbye, the task is never acknowledged)
    celery_worker.kill()
    left = job_now(job)
    assert left.state == "running"  # nobody is running it any more

    # Then a worker starting (make run again) resumes it, from where it stopped
    celery_worker.start()
    done = wait_until(job, lambda j: j.state == "done", what="to be resumed and done")
    assert (done.attempts, done.done, done.result) == (2, 40, {"counted": 40})
    second_run = [e["job"]["done"] for e in events.received() if e["job"]["attempts"] == 2]
    assert second_run
    assert min(second_run) >= left.done  # it carried on; it did not count again from zero


def test_a_pool_process_killed_mid_job_is_delivered_again_at_once(celery_worker, owner):
    job = services.job_create(owner=owner, kind="demo.count", params={"count": 40, "step_seconds": 0.1})
    wait_until(job, lambda j: j.done >= 5, what="to make progress")

    for pid in celery_worker.pool_pids():  # the worker itself lives on and replaces its pool
        os.kill(pid, signal.SIGKILL)

    done = wait_until(job, lambda j: j.state == "done", what="to be run again and done")
    assert (done.attempts, done.result) == (2, {"counted": 40})
    assert celery_worker.running
