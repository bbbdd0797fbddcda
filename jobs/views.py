"""The jobs page (/tasks/): your jobs live, with cancel and retry; staff see everyone's and the queue."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.decorators import alogin_required
from core.health import system_health
from core.shortcuts import arender
from core.types import AuthenticatedHttpRequest
from jobs import selectors, services
from jobs.forms import DemoJobForm
from jobs.models import Job
from notifications import selectors as requests_selectors


@alogin_required
@require_GET
async def jobs_page(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    staff = user.is_staff
    health, jobs, depth, requests, reports = await asyncio.gather(
        system_health(),
        selectors.jobs_page(user=user, everyone=staff),
        selectors.queue_depth() if staff else asyncio.sleep(0),
        sync_to_async(requests_selectors.request_panel)(user=user),
        sync_to_async(requests_selectors.reports_of)(day=timezone.localdate()) if staff else asyncio.sleep(0),
    )
    context = {
        "health": health,
        "jobs": jobs,
        "staff": staff,
        "queue_depth": depth,
        "workers": health["parts"]["celery_workers"].get("workers", []),
        "demo_form": DemoJobForm(),
        "page_size": selectors.PAGE_SIZE,
        "queue_name": settings.CELERY_TASK_DEFAULT_QUEUE,
        "requests": requests,
        "reports": reports,
    }
    return await arender(request, "jobs/jobs.html", context)


def _visible_or_404(request: HttpRequest, job_id: int) -> Job:
    job = selectors.job_visible(user=request.user, job_id=job_id)
    if job is None:
        raise Http404("No such job")
    return job


@login_required
@require_POST
def job_cancel(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    try:
        services.job_cancel(job=_visible_or_404(request, job_id), by=request.user)
    except services.JobStateError as error:
        messages.error(request, str(error))
    return redirect("jobs:page")


@login_required
@require_POST
def job_retry(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    try:
        services.job_retry(job=_visible_or_404(request, job_id), by=request.user)
    except services.JobStateError as error:
        messages.error(request, str(error))
    return redirect("jobs:page")


@login_required
@require_POST
def demo_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a demo job (counting, a step at a time): it affects nobody's data but its owner's job list."""
    form = DemoJobForm(request.POST)
    if not form.is_valid():
        problems = (f"{field}: {' '.join(str(error) for error in errors)}" for field, errors in form.errors.items())
        messages.error(request, "; ".join(problems))
        return redirect("jobs:page")
    params = {"count": form.cleaned_data["count"], "step_seconds": float(form.cleaned_data["step_seconds"])}
    services.job_create(owner=request.user, kind="demo.count", params=params)
    return redirect("jobs:page")
