"""E-mail tasks on a real Celery worker (tests/worker.py) and a real SMTP server (tests/smtp.py):
each message once, whatever is delivered twice, rolled back, or sent while SMTP is down."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.utils import timezone

from jobs.models import Job
from kitchen.models import Recipe, RecipeCompletion
from kitchen.services import recipe_complete
from kitchen.tests.factories import ChefFactory, RecipeFactory
from notifications import services
from notifications.models import DailyReport, SentMail
from notifications.tasks import notify_recipe_completion, send_chef_report, send_daily_reports
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUIET = 1.5  # how long "nothing more arrives" is watched for


def draft_with_collaborator(name: str = "Pot-au-feu") -> Recipe:
    recipe = RecipeFactory(status=Recipe.Status.DRAFT, name=name)
    recipe.collaborators.add(ChefFactory())
    return recipe


def addresses(messages) -> list[str]:
    return sorted(message["To"] for message in messages)


def test_a_completion_emails_its_owner_and_collaborators_once_even_when_delivered_twice(celery_worker, smtp_server):
    recipe = draft_with_collaborator()

    recipe_complete(recipe=recipe, by=recipe.owner.user)  # enqueued after commit
    messages = smtp_server.wait_for(2, timeout=30)

    expected = sorted([recipe.owner.user.email, recipe.collaborators.get().user.email])
    assert addresses(messages) == expected
    completion = RecipeCompletion.objects.get()
    wait_for(lambda: SentMail.objects.filter(completion=completion).count() == 2, timeout=10, what="SentMail rows")
    # When the same task is delivered twice more, at once (a redelivery racing a rerun)
    notify_recipe_completion.delay(completion.pk)
    notify_recipe_completion.delay(completion.pk)
    wait_for(lambda: celery_worker.output().count(f"completion {completion.pk}: {{") >= 3, timeout=20,
             what="both extra deliveries to run")  # fmt: skip
    # Then nobody got a second message
    assert addresses(smtp_server.messages) == expected


def test_smtp_down_is_retried_with_backoff_and_everyone_is_emailed_once_it_is_back(celery_worker, smtp_server):
    recipe = draft_with_collaborator("Blanquette")
    with smtp_server.down():
        recipe_complete(recipe=recipe, by=None)
        wait_for(lambda: "could not reach the mail server" in celery_worker.output(), timeout=30,
                 what="the worker to meet SMTP down and schedule a retry")  # fmt: skip
        assert smtp_server.messages == []
    messages = smtp_server.wait_for(2, timeout=30)
    time.sleep(QUIET)
    assert len(smtp_server.messages) == len(messages) == 2


def test_nothing_is_sent_for_a_rolled_back_completion(celery_worker, smtp_server):
    rolled_back, committed = draft_with_collaborator("Rolled back"), draft_with_collaborator("Committed")

    def complete_then_fail() -> None:
        with transaction.atomic():
            recipe_complete(recipe=rolled_back, by=None)
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        complete_then_fail()
    recipe_complete(recipe=committed, by=None)  # the control: this one must arrive

    messages = smtp_server.wait_for(2, timeout=30)
    time.sleep(QUIET)
    assert {message["Subject"] for message in smtp_server.messages} == {"Committed is completed"}
    assert len(messages) == 2
    assert Recipe.objects.get(pk=rolled_back.pk).status == "draft"


def test_two_beats_asking_for_the_daily_reports_send_each_chef_one(celery_worker, smtp_server):
    chefs = [ChefFactory() for _ in range(3)]
    ChefFactory(user__username="no-address", user__email="")
    day = timezone.localdate().isoformat()

    send_daily_reports.delay(day)
    send_daily_reports.delay(day)  # a second beat started by mistake

    messages = smtp_server.wait_for(3, timeout=30)
    time.sleep(QUIET)
    assert addresses(smtp_server.messages) == sorted(chef.user.email for chef in chefs)
    assert len(messages) == 3
    states = dict(DailyReport.objects.values_list("chef__user__username", "state"))
    assert states == {**{chef.user.username: "sent" for chef in chefs}, "no-address": "skipped"}


def test_a_report_that_cannot_be_sent_is_retried_a_bounded_number_of_times_then_failed(celery_worker, smtp_server):
    chef = ChefFactory()
    day = timezone.localdate()
    services.daily_reports_plan(day=day)
    with smtp_server.refusing("451 4.3.0 mailbox busy, try later"):
        send_chef_report.delay(chef.pk, day.isoformat())
        wait_for(lambda: DailyReport.objects.get(chef=chef).state == "failed", timeout=30, what="the report to fail")
    report = DailyReport.objects.get(chef=chef)
    assert report.tries == 4  # the first try and TRANSIENT_RETRIES=3 (tests/worker.py)
    assert report.error.startswith("gave up: the mail server")
    assert "451" in report.error
    assert smtp_server.messages == []


def test_a_permanently_refused_report_fails_at_once(celery_worker, smtp_server):
    chef = ChefFactory()
    day = timezone.localdate()
    services.daily_reports_plan(day=day)
    with smtp_server.refusing("550 5.1.1 no such mailbox"):
        send_chef_report.delay(chef.pk, day.isoformat())
        wait_for(lambda: DailyReport.objects.get(chef=chef).state == "failed", timeout=30, what="the report to fail")
    assert DailyReport.objects.get(chef=chef).tries == 1


def test_a_request_job_waits_out_smtp_down_visibly_then_finishes(celery_worker, smtp_server):
    lea, marc = ChefFactory(), ChefFactory()
    with smtp_server.down():
        request = services.recipe_request_create(requester=lea.user, chef=marc, name="Gratin")
        job = Job.objects.get(pk=request.job_id)
        wait_for(lambda: Job.objects.get(pk=job.pk).retries >= 1, timeout=30, what="the job to be retried")
        waiting = Job.objects.get(pk=job.pk)
        assert "could not reach the mail server" in waiting.error
    wait_for(lambda: Job.objects.get(pk=job.pk).state in {"done", "failed"}, timeout=30, what="the job to end")
    done = Job.objects.get(pk=job.pk)
    if done.state == "failed":  # all retries spent while down: a person retries it from the page
        assert done.error.startswith("gave up after 4 tries")
        from jobs.services import job_retry

        job_retry(job=done, by=marc.user)
        wait_for(lambda: Job.objects.get(pk=job.pk).state == "done", timeout=30, what="the retried job to finish")
    [message] = smtp_server.wait_for(1, timeout=10)
    assert message["To"] == marc.user.email
    assert Job.objects.get(pk=job.pk).error == ""
