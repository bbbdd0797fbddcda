"""Recipe requests, completion notices and daily reports, in process against a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.mail import MailPermanentError, MailTemporaryError
from jobs.models import Job
from jobs.services import user_topic
from kitchen.models import Recipe, RecipeCompletion
from kitchen.services import recipe_complete, recipe_update
from kitchen.tests.factories import (
    ChefFactory,
    IngredientFactory,
    RecipeFactory,
    RecipeIngredientFactory,
)
from notifications import selectors, services
from notifications.models import DailyReport, RecipeRequest, SentMail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chefs(db):
    return ChefFactory(user__username="lea"), ChefFactory(user__username="marc")


# -- Recipe requests ----------------------------------------------------------------------------


def test_a_request_is_stored_with_a_job_of_the_chef_asked_and_both_chefs_hear_of_it(chefs, listen, queue):
    lea, marc = chefs
    events = listen(user_topic(lea.user_id), user_topic(marc.user_id))

    request = services.recipe_request_create(requester=lea.user, chef=marc, name="Sauce bordelaise", note="for Friday")

    job = Job.objects.get(pk=request.job_id)
    assert (job.owner, job.kind, job.params) == (marc.user, "notifications.request_mail", {"request_id": request.pk})
    [task] = queue.tasks()  # enqueued after commit
    assert (task["task"], task["args"]) == ("jobs.tasks.run_job", [job.pk])
    request_events = [event for event in events.received() if event["type"] == "request"]
    assert len(request_events) == 2  # one on each chef's topic
    assert request_events[0]["request"] == {"id": request.pk, "state": "open", "name": "Sauce bordelaise",
                                            "draft_id": None}  # fmt: skip


def test_a_chef_cannot_ask_themselves_nor_ask_the_same_twice_while_open(chefs, queue):
    lea, marc = chefs
    with pytest.raises(ValidationError, match="cannot ask yourself"):
        services.recipe_request_create(requester=lea.user, chef=lea, name="Soup")
    services.recipe_request_create(requester=lea.user, chef=marc, name="Soup")
    with pytest.raises(ValidationError, match="already asked"):
        services.recipe_request_create(requester=lea.user, chef=marc, name="  soup".strip().upper())
    assert RecipeRequest.objects.count() == 1
    assert Job.objects.count() == 1  # the refused request left no job behind


def test_too_many_requests_at_once_are_refused(chefs, queue):
    lea, marc = chefs
    for n in range(services.REQUEST_BURST):
        services.recipe_request_create(requester=lea.user, chef=marc, name=f"Dish {n}")
    with pytest.raises(ValidationError, match="many requests"):
        services.recipe_request_create(requester=lea.user, chef=marc, name="One more")


def test_the_request_mail_goes_once_to_the_chef_asked(chefs, smtp, queue):
    lea, marc = chefs
    request = services.recipe_request_create(requester=lea.user, chef=marc, name="Tarte <Tatin>", note="no rush")

    assert services.recipe_request_mail(request_id=request.pk) == {"e-mailed": marc.user.email}
    again = services.recipe_request_mail(request_id=request.pk)  # a rerun of the job

    [message] = smtp.wait_for(1)
    assert again["earlier"] is True
    assert message["To"] == marc.user.email
    assert "Tarte <Tatin>" in message["Subject"]
    assert "Tarte &lt;Tatin&gt;" in message.get_body(preferencelist=("html",)).get_content()
    assert "no rush" in message.get_body(preferencelist=("plain",)).get_content()
    assert RecipeRequest.objects.get(pk=request.pk).mailed_at is not None


def test_a_chef_without_an_address_gets_the_request_in_the_app_only(chefs, smtp, queue):
    lea, marc = chefs
    marc.user.email = ""
    marc.user.save()
    request = services.recipe_request_create(requester=lea.user, chef=marc, name="Soup")
    assert "no e-mail address" in services.recipe_request_mail(request_id=request.pk)["e-mailed"]
    assert smtp.messages == []


def test_accepting_creates_a_draft_of_the_chef_asked_shared_with_the_requester(chefs, listen, queue):
    lea, marc = chefs
    request = services.recipe_request_create(requester=lea.user, chef=marc, name="Soup", note="thick")
    events = listen(user_topic(lea.user_id))

    with pytest.raises(PermissionDenied):
        services.recipe_request_accept(request=request, by=lea.user)  # only the chef asked answers
    draft = services.recipe_request_accept(request=request, by=marc.user)

    assert (draft.owner, draft.name, draft.description, draft.status) == (marc, "Soup", "thick", Recipe.Status.DRAFT)
    assert list(draft.collaborators.all()) == [lea]
    request.refresh_from_db()
    assert (request.state, request.draft) == ("accepted", draft)
    assert [event["request"]["state"] for event in events.received()] == ["accepted"]
    with pytest.raises(services.RequestStateError, match="already accepted"):
        services.recipe_request_accept(request=request, by=marc.user)
    assert Recipe.objects.filter(name="Soup").count() == 1


def test_declining_creates_nothing(chefs, queue):
    lea, marc = chefs
    request = services.recipe_request_create(requester=lea.user, chef=marc, name="Soup")
    services.recipe_request_decline(request=request, by=marc.user)
    assert RecipeRequest.objects.get(pk=request.pk).state == "declined"
    assert not Recipe.objects.exists()
    # and a new request for the same recipe is possible once the first is answered
    services.recipe_request_create(requester=lea.user, chef=marc, name="Soup")


# -- Completion notices ---------------------------------------------------------------------------


@pytest.fixture
def draft(chefs):
    lea, marc = chefs
    recipe = RecipeFactory(owner=lea, status=Recipe.Status.DRAFT, name="Pot-au-feu")
    recipe.collaborators.set([marc, ChefFactory(user__username="nomail", user__email="")])
    return recipe


def test_completing_a_draft_records_a_completion_and_enqueues_its_notice_after_commit(draft, chefs, queue):
    with transaction.atomic():
        recipe_complete(recipe=draft, by=chefs[1].user)
        assert queue.tasks() == []  # not before the commit
    [completion] = RecipeCompletion.objects.all()
    assert completion.by == chefs[1].user
    [task] = queue.tasks()
    assert (task["task"], task["args"]) == ("notifications.tasks.notify_recipe_completion", [completion.pk])


def test_a_rolled_back_completion_enqueues_nothing(draft, queue):
    def complete_then_fail() -> None:
        with transaction.atomic():
            recipe_update(recipe=draft, fields={"status": "completed"})
            raise RuntimeError("something later in the request failed")

    with pytest.raises(RuntimeError):
        complete_then_fail()
    assert queue.tasks() == []
    assert not RecipeCompletion.objects.exists()


def test_only_a_draft_becoming_completed_is_a_completion(draft, queue):
    recipe_update(recipe=draft, fields={"name": "Pot-au-feu maison"})
    recipe_complete(recipe=draft, by=None)
    recipe_complete(recipe=draft, by=None)  # already completed: nothing new
    recipe_update(recipe=draft, fields={"servings": 6})
    assert RecipeCompletion.objects.count() == 1


def test_the_owner_and_each_collaborator_are_emailed_once(draft, chefs, smtp, queue):
    recipe_complete(recipe=draft, by=chefs[0].user)
    completion = RecipeCompletion.objects.get()

    assert services.completion_notify(completion_id=completion.pk) == {"sent": 2, "earlier": 0, "no_address": 1}
    assert services.completion_notify(completion_id=completion.pk) == {"sent": 0, "earlier": 2, "no_address": 1}

    messages = smtp.wait_for(2)
    assert sorted(message["To"] for message in messages) == ["lea@example.com", "marc@example.com"]
    assert all(message["Subject"] == "Pot-au-feu is completed" for message in messages)
    assert SentMail.objects.count() == 2


def test_smtp_down_raises_a_temporary_error_and_the_retry_sends_to_everyone(draft, chefs, smtp, queue):
    recipe_complete(recipe=draft, by=chefs[0].user)
    completion = RecipeCompletion.objects.get()
    with smtp.down(), pytest.raises(MailTemporaryError):
        services.completion_notify(completion_id=completion.pk)
    assert not SentMail.objects.exists()
    assert services.completion_notify(completion_id=completion.pk)["sent"] == 2


def test_a_refused_recipient_is_a_permanent_error(draft, chefs, smtp, queue):
    recipe_complete(recipe=draft, by=chefs[0].user)
    with smtp.refusing("550 5.1.1 mailbox unknown"), pytest.raises(MailPermanentError):
        services.completion_notify(completion_id=RecipeCompletion.objects.get().pk)


# -- Daily reports --------------------------------------------------------------------------------


def test_planning_a_day_twice_plans_each_chef_once_and_skips_chefs_without_an_address(chefs):
    ChefFactory(user__username="nomail", user__email="")
    ChefFactory(user__username="gone", user__is_active=False)
    day = timezone.localdate()

    first = services.daily_reports_plan(day=day)
    second = services.daily_reports_plan(day=day)  # a second beat, a rerun

    assert sorted(first["pending"]) == sorted(chef.pk for chef in chefs)
    assert first["skipped"] == ["nomail"]
    assert second == first
    assert DailyReport.objects.count() == 3


def test_a_report_is_sent_once_and_tells_the_chefs_day(chefs, smtp):
    lea, marc = chefs
    day = timezone.localdate()
    soup = RecipeFactory(owner=lea, name="Onion soup", status=Recipe.Status.DRAFT)
    butter = IngredientFactory(name="Butter", unit="kg")
    RecipeIngredientFactory(recipe=soup, ingredient=butter)
    butter.prices.create(price=Decimal("9.5"), currency="EUR", unit="kg", source="test", observed_at=timezone.now())
    recipe_complete(recipe=soup, by=lea.user)
    RecipeFactory(owner=marc, name="Marc's secret")  # not Lea's
    services.daily_reports_plan(day=day)

    assert services.chef_report_send(chef_id=lea.pk, day=day) == "sent"
    assert services.chef_report_send(chef_id=lea.pk, day=day) == "sent"  # a second delivery

    [message] = smtp.wait_for(1)
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert message["To"] == "lea@example.com"
    assert "Onion soup (completed)" in text
    assert "Completed today:\n- Onion soup" in text
    assert "- Butter: 2.50 EUR per kg (1 observation)" in text
    assert "Marc's secret" not in text
    report = DailyReport.objects.get(chef=lea, day=day)
    assert (report.state, report.tries) == ("sent", 1)


def test_a_quiet_day_says_so(chefs, smtp):
    day = timezone.localdate() - timedelta(days=3)
    services.daily_reports_plan(day=day)
    services.chef_report_send(chef_id=chefs[0].pk, day=day)
    [message] = smtp.wait_for(1)
    assert "A quiet day" in message.get_body(preferencelist=("plain",)).get_content()


def test_report_trouble_keeps_it_pending_until_given_up_then_failed(chefs):
    day = timezone.localdate()
    services.daily_reports_plan(day=day)
    lea = chefs[0]
    services.chef_report_trouble(chef_id=lea.pk, day=day, error=MailTemporaryError("down"), final=False)
    assert DailyReport.objects.get(chef=lea).state == "pending"
    services.chef_report_trouble(chef_id=lea.pk, day=day, error=MailTemporaryError("down"), final=True)
    report = DailyReport.objects.get(chef=lea)
    assert (report.state, report.error) == ("failed", "gave up: down")
    assert services.chef_report_send(chef_id=lea.pk, day=day) == "failed"  # not sent by a late delivery


def test_the_staff_summary_counts_the_day(chefs):
    ChefFactory(user__username="nomail", user__email="")
    day = timezone.localdate()
    services.daily_reports_plan(day=day)
    summary = selectors.reports_of(day=day)
    assert summary["counts"] == {"pending": 2, "sent": 0, "skipped": 1, "failed": 0}
    assert [row.chef.user.username for row in summary["skipped"]] == ["nomail"]


def test_redis_down_when_sending_is_retried_not_lost(draft, chefs, smtp, queue, settings, caplog):
    """The send lock lives in Redis: with Redis unreachable nothing is sent and the task tries again
    (bounded) instead of failing once and for all. Run in process: this checks the decision, the
    worker tests check delivery."""
    from core.redis_clients import sync_client
    from notifications.tasks import notify_recipe_completion
    from tests.helpers import free_port

    recipe_complete(recipe=draft, by=chefs[0].user)
    completion = RecipeCompletion.objects.get()
    settings.TRANSIENT_RETRIES = 2
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    sync_client.cache_clear()
    try:
        notify_recipe_completion.apply((completion.pk,))
    finally:
        sync_client.cache_clear()  # the settings fixture restores REDIS_URL; drop the dead client
    assert smtp.messages == []
    assert caplog.text.count("Redis is unreachable") >= 3  # the first try and 2 retries, then given up
    assert "no lock" in caplog.text
