"""/api/jobs: the caller's jobs (staff: everyone's), detail with the error report, cancel and retry."""

from __future__ import annotations

import pytest

from accounts.services import api_token_create
from jobs import services
from jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(owner):
    return services.job_create(owner=owner, kind="demo.count", params={"count": 3})


@pytest.fixture
def failed(owner):
    job = services.job_create(owner=owner, kind="demo.count", params={"count": 3})
    run = services.job_start(job_id=job.pk, task_id="t")
    progress = services.job_progress
    progress(job_id=job.pk, attempt=run.attempts, done=1, total=3, force=True,
             errors=[{"item": "row 2", "field": "quantity", "message": "must be positive"}], error_count=1)  # fmt: skip
    services.job_fail(job_id=job.pk, attempt=run.attempts, error="SMTP down")
    return Job.objects.get(pk=job.pk)


class TestList:
    def test_a_chef_sees_only_their_own_jobs_newest_first(self, as_user, owner, other, job):
        services.job_create(owner=other, kind="demo.count", params={})
        newer = services.job_create(owner=owner, kind="demo.count", params={})

        body = as_user(owner).get("/api/jobs").json()

        assert body["count"] == 2
        assert [item["id"] for item in body["items"]] == [newer.pk, job.pk]
        assert body["items"][1] == {
            **body["items"][1],
            "kind": "demo.count", "label": "Demo: count", "owner": "owner", "state": "queued",
            "done": 0, "total": None, "result": None, "error": "", "error_count": 0,
        }  # fmt: skip

    def test_all_shows_everyones_jobs_to_staff_only(self, as_user, owner, other, staff, job):
        services.job_create(owner=other, kind="demo.count", params={})
        assert as_user(staff).get("/api/jobs?all=true").json()["count"] == 2
        assert as_user(staff).get("/api/jobs").json()["count"] == 0  # staff's own
        assert as_user(other).get("/api/jobs?all=true").json()["count"] == 1  # a chef's own, whatever they ask

    @pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "all=maybe", "limit=1e400"])
    def test_bad_paging_is_a_422(self, as_user, owner, query):
        response = as_user(owner).get(f"/api/jobs?{query}")
        assert response.status_code == 422
        assert response.json()["error"] == "the request is not valid"

    def test_anonymous_callers_get_401(self, client):
        assert client.get("/api/jobs").status_code == 401

    def test_a_personal_token_works(self, client, owner, job):
        _, secret = api_token_create(user=owner, name="script")
        assert client.get("/api/jobs", HTTP_AUTHORIZATION=f"Bearer {secret}").json()["count"] == 1


class TestDetail:
    def test_the_owner_and_staff_see_the_report_others_get_404(self, as_user, owner, other, staff, failed):
        body = as_user(owner).get(f"/api/jobs/{failed.pk}").json()
        assert (body["state"], body["done"], body["total"], body["error"]) == ("failed", 1, 3, "SMTP down")
        assert body["errors"] == [{"item": "row 2", "field": "quantity", "message": "must be positive"}]
        assert as_user(staff).get(f"/api/jobs/{failed.pk}").status_code == 200

        response = as_user(other).get(f"/api/jobs/{failed.pk}")
        assert response.status_code == 404
        assert response.json()["error"] == "no such job"

    @pytest.mark.parametrize("job_id", ["0", "-1", str(2**63), "abc"])
    def test_impossible_ids_are_422(self, as_user, owner, job_id):
        response = as_user(owner).get(f"/api/jobs/{job_id}")
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["path", "job_id"]


class TestCancelAndRetry:
    def test_cancel_then_retry_then_cancel_again(self, as_user, owner, job):
        client = as_user(owner)
        cancelled = client.post(f"/api/jobs/{job.pk}/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json()["state"] == "cancelled"

        again = client.post(f"/api/jobs/{job.pk}/cancel")
        assert again.status_code == 409
        assert "only queued or running jobs" in again.json()["error"]

        assert client.post(f"/api/jobs/{job.pk}/retry").json()["state"] == "queued"
        assert client.post(f"/api/jobs/{job.pk}/retry").status_code == 409

    def test_another_chefs_job_is_404_and_untouched(self, as_user, other, job):
        assert as_user(other).post(f"/api/jobs/{job.pk}/cancel").status_code == 404
        assert Job.objects.get(pk=job.pk).state == "queued"

    def test_staff_may_cancel_anyones_job(self, as_user, staff, job):
        assert as_user(staff).post(f"/api/jobs/{job.pk}/cancel").json()["error"] == "cancelled by boss"

    def test_a_browser_session_needs_the_csrf_token(self, as_user, owner, job):
        client = as_user(owner, csrf=True)
        assert client.post(f"/api/jobs/{job.pk}/cancel").status_code == 403
        assert Job.objects.get(pk=job.pk).state == "queued"


def test_the_schema_documents_the_job_endpoints(client):
    schema = client.get("/api/openapi.json").json()
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/cancel", "/api/jobs/{job_id}/retry"} <= set(
        schema["paths"]
    )
    job_id = schema["paths"]["/api/jobs/{job_id}"]["get"]["parameters"][0]["schema"]
    assert job_id["minimum"] == 1
    assert schema["components"]["schemas"]["JobOut"]["properties"]["state"]["enum"] == [
        "queued", "running", "done", "failed", "cancelled",
    ]  # fmt: skip
