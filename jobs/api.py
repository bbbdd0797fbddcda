"""/api/jobs: the caller's background jobs (staff: everyone's), with cancel and retry through jobs.services."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from asgiref.sync import sync_to_async
from django.http import Http404
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError

from core.api import PageIn, responses
from core.types import ApiRequest
from jobs import selectors, services
from jobs.models import Job

router = Router(tags=["jobs"])

JobId = Annotated[int, Path(ge=1, lt=2**63)]
JobState = Literal["queued", "running", "done", "failed", "cancelled"]


class JobOut(Schema):
    id: int
    kind: str
    label: str
    owner: str
    state: JobState
    done: int
    total: int | None = Field(..., description="unknown (null) until the job knows it")
    result: Any = Field(None, description="small JSON: what the job made")
    summary: str = Field(..., description="the result in one line")
    error: str
    error_count: int = Field(..., description="items that could not be processed (the report keeps the first 1,000)")
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ItemError(Schema):
    item: str
    field: str
    message: str


class JobDetailOut(JobOut):
    errors: list[ItemError]


class JobPage(Schema):
    count: int
    items: list[JobOut]


class JobFilters(PageIn):
    all: bool = Field(False, description="staff: everyone's jobs, not only yours")


async def _visible(request: ApiRequest, job_id: int) -> Job:
    job = await selectors.ajob_visible(user=request.auth, job_id=job_id)
    if job is None:
        raise Http404("no such job")
    return job


def _change(action, job: Job, by) -> dict:
    try:
        return selectors.job_as_event(action(job=job, by=by))
    except services.JobStateError as error:
        raise HttpError(409, str(error)) from None


@router.get(
    "/jobs",
    response=responses({200: JobPage}),
    summary="Your background jobs, newest first (staff: ?all=true for everyone's)",
)
async def list_jobs(request: ApiRequest, filters: Query[JobFilters]):
    jobs = selectors.jobs_visible(user=request.auth, everyone=filters.all)
    page = jobs[filters.offset : filters.offset + filters.limit]
    return {"count": await jobs.acount(), "items": [selectors.job_as_event(job) async for job in page]}


@router.get("/jobs/{job_id}", response=responses({200: JobDetailOut}), summary="One job with its per-item error report")
async def get_job(request: ApiRequest, job_id: JobId):
    return selectors.job_as_detail(await _visible(request, job_id))


@router.post(
    "/jobs/{job_id}/cancel", response=responses({200: JobOut}), summary="Cancel a queued or running job (409 otherwise)"
)
async def cancel_job(request: ApiRequest, job_id: JobId):
    job = await _visible(request, job_id)
    return await sync_to_async(_change)(services.job_cancel, job, request.auth)


@router.post(
    "/jobs/{job_id}/retry",
    response=responses({200: JobOut}),
    summary="Run a failed or cancelled job again (409 otherwise)",
)
async def retry_job(request: ApiRequest, job_id: JobId):
    job = await _visible(request, job_id)
    return await sync_to_async(_change)(services.job_retry, job, request.auth)
