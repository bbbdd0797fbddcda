"""The jobs page (/tasks/): your jobs with progress, cancel and retry; staff see everyone's and the queue."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jobs import services
from jobs.models import Job

pytestmark = pytest.mark.django_db


def page(client: Client) -> str:
    response = client.get("/tasks/")
    assert response.status_code == 200
    return response.content.decode()


def rows(body: str) -> list[str]:
    return re.findall(r'<li class="job" data-job-id="(\d+)"', body)


@pytest.fixture
def running(owner):
    job = services.job_create(owner=owner, kind="demo.count", params={"count": 8, "error_every": 1})
    run = services.job_start(job_id=job.pk, task_id="t")
    report = [{"item": "<script>alert(1)</script>", "field": "n", "message": "bad"}]
    services.job_progress(
        job_id=job.pk, attempt=run.attempts, done=3, total=8, force=True, errors=report, error_count=1
    )
    return Job.objects.get(pk=job.pk)


class TestPage:
    def test_a_chef_sees_their_jobs_progress_and_report_but_no_one_elses(self, as_user, owner, other, running):
        services.job_create(owner=other, kind="demo.count", params={})

        body = page(as_user(owner))

        assert rows(body) == [str(running.pk)]
        assert '<progress data-field="progress" max="8" value="3"></progress>' in body
        assert "3 / 8" in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # the report is text, never markup
        assert "<script>alert(1)</script>" not in body
        assert f'action="/tasks/{running.pk}/cancel/"' in body
        assert 'data-socket-path="/ws/tasks/"' in body
        assert "Queue and workers" not in body
        assert "Celery workers" in body  # the health panel stays

    def test_a_job_whose_total_is_unknown_shows_how_many_so_far(self, as_user, owner):
        job = services.job_create(owner=owner, kind="demo.count", params={})
        run = services.job_start(job_id=job.pk, task_id="t")
        services.job_progress(job_id=job.pk, attempt=run.attempts, done=12, force=True)

        body = page(as_user(owner))

        assert "12 so far" in body
        assert '<progress data-field="progress"></progress>' in body  # indeterminate

    def test_staff_see_everyones_jobs_the_owner_and_the_queue(
        self, as_user, owner, other, staff, running, queue, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):  # enqueued: one task waits, no worker runs
            theirs = services.job_create(owner=other, kind="demo.count", params={})

        body = page(as_user(staff))

        assert rows(body) == [str(theirs.pk), str(running.pk)]
        assert "Queue and workers" in body
        assert '<strong id="queue-depth">1</strong>' in body
        assert '<span class="muted" data-field="owner">other</span>' in body

    def test_no_jobs_yet(self, as_user, other):
        assert "No jobs yet." in page(as_user(other))

    def test_anonymous_visitors_are_sent_to_log_in(self, client):
        response = client.get("/tasks/")
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


class TestActions:
    def test_cancel_and_retry_through_the_page(self, as_user, owner, running):
        client = as_user(owner)
        assert client.post(f"/tasks/{running.pk}/cancel/").status_code == 302
        assert Job.objects.get(pk=running.pk).state == "cancelled"
        assert client.post(f"/tasks/{running.pk}/retry/").status_code == 302
        assert Job.objects.get(pk=running.pk).state == "queued"

    def test_a_cancel_that_no_longer_applies_says_why(self, as_user, owner, running):
        client = as_user(owner)
        client.post(f"/tasks/{running.pk}/cancel/")
        response = client.post(f"/tasks/{running.pk}/cancel/", follow=True)
        assert "only queued or running jobs can be cancelled" in response.content.decode()

    def test_another_chefs_job_is_a_404(self, as_user, other, running):
        assert as_user(other).post(f"/tasks/{running.pk}/cancel/").status_code == 404
        assert Job.objects.get(pk=running.pk).state == "running"

    def test_forms_need_post_and_the_csrf_token(self, as_user, owner, running):
        assert as_user(owner).get(f"/tasks/{running.pk}/cancel/").status_code == 405
        assert as_user(owner, csrf=True).post(f"/tasks/{running.pk}/cancel/").status_code == 403
        assert Job.objects.get(pk=running.pk).state == "running"

    def test_any_chef_may_start_a_demo_job_of_their_own(self, as_user, other):
        assert as_user(other).post("/tasks/demo/", {"count": "5", "step_seconds": "0.1"}).status_code == 302
        job = Job.objects.get()
        assert (job.owner, job.kind, job.params["count"], job.params["step_seconds"]) == (other, "demo.count", 5, 0.1)

    @pytest.mark.parametrize("data", [{"count": "0", "step_seconds": "0.1"}, {"count": "x"}, {}])
    def test_a_bad_demo_request_starts_nothing_and_says_why(self, as_user, other, data):
        response = as_user(other).post("/tasks/demo/", data, follow=True)
        assert response.status_code == 200
        assert 'class="message message-error"' in response.content.decode()
        assert not Job.objects.exists()
