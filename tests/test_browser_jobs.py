"""The jobs page in Chromium, with a real worker: progress bars move live, cancel and retry work."""

from __future__ import annotations

import pytest

from jobs.models import Job
from jobs.services import job_create
from kitchen.tests.factories import ChefFactory
from tests.test_browser_shell import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_jobs_page(page, base: str, username: str) -> None:
    log_in(page, base, username)
    page.wait_for_url(f"{base}/recipes/")
    page.goto(f"{base}/tasks/")
    page.wait_for_selector("#connection-state[data-state=open]")


def test_a_job_started_elsewhere_appears_and_its_progress_bar_moves_live(page, live_server_url, celery_worker):
    chef = ChefFactory()
    open_jobs_page(page, live_server_url, chef.user.username)
    assert page.locator("#jobs-empty").is_visible()
    page.evaluate("window.__marker = 'same page'")

    # When a job of eight slow steps starts (from the API, a script, another tab...)
    job = job_create(owner=chef.user, kind="demo.count", params={"count": 8, "step_seconds": 0.3, "error_every": 4})

    # Then its row appears, and its bar is seen part-way before the end
    row = page.locator(f'#job-list li[data-job-id="{job.pk}"]')
    row.wait_for()
    page.wait_for_function(
        "id => { const bar = document.querySelector(`li[data-job-id='${id}'] progress`);"
        " return bar && bar.value > 0 && bar.value < 8; }",
        arg=job.pk,
    )
    page.locator(f'#job-list li[data-job-id="{job.pk}"][data-state="done"]').wait_for()
    assert row.locator("[data-field=count]").text_content() == "8 / 8"
    assert row.locator("[data-field=summary]").text_content() == "counted: 8"
    assert not row.locator("form[data-action=cancel]").is_visible()
    # And its per-item report, read from the API, is there (as text)
    row.locator("details[data-field=errors] summary").click()
    row.locator("[data-field=error-rows] tr").nth(1).wait_for()
    assert row.locator("[data-field=error-rows] td").all_text_contents()[2] == "4 is a multiple of 4"
    assert not page.locator("#jobs-empty").is_visible()
    assert page.evaluate("window.__marker") == "same page"  # no reload happened


def test_start_a_demo_job_cancel_it_and_retry_it_from_the_page(page, live_server_url, celery_worker):
    chef = ChefFactory()
    open_jobs_page(page, live_server_url, chef.user.username)

    page.get_by_role("button", name="Try a demo job").click()
    row = page.locator("#job-list li.job").first
    row.locator("[data-field=state]", has_text="running").wait_for()
    job = Job.objects.get(owner=chef.user)

    row.get_by_role("button", name="Cancel").click()
    page.locator(f'#job-list li[data-job-id="{job.pk}"][data-state="cancelled"]').wait_for()
    assert page.locator(f'li[data-job-id="{job.pk}"] [data-field=error]').text_content() == (
        f"cancelled by {chef.user.username}"
    )

    page.locator(f'li[data-job-id="{job.pk}"]').get_by_role("button", name="Retry").click()
    page.locator(f'li[data-job-id="{job.pk}"] [data-field=state]', has_text="running").wait_for()
    assert Job.objects.get(pk=job.pk).attempts == 2
    page.locator(f'li[data-job-id="{job.pk}"]').get_by_role("button", name="Cancel").click()
    page.locator(f'#job-list li[data-job-id="{job.pk}"][data-state="cancelled"]').wait_for()
