"""Writes for recipe requests, completion notices and daily reports.

E-mail is sent from tasks only (never in a request), and each message is sent at most once per
purpose however often its task runs: a request's `mailed_at`, a completion's SentMail rows and a
day's DailyReport row are written right after the mail server accepts the message. What remains
is the window between that acceptance and the write: a worker killed exactly there sends that
one message again on its rerun (README, "Background jobs").
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.mail import MailError, mail_send
from core.realtime.hub import publish_on_commit
from core.realtime.ratelimit import take
from jobs.services import job_create, user_topic
from kitchen.models import Chef, Recipe, RecipeCompletion
from kitchen.services import recipe_create
from notifications import selectors
from notifications.models import DailyReport, RecipeRequest, SentMail

logger = logging.getLogger(__name__)

REQUEST_MAIL_KIND = "notifications.request_mail"
# Requests a chef may send: a burst of this many, then one every REQUEST_EVERY seconds.
REQUEST_BURST = 10
REQUEST_EVERY = 60


class RequestStateError(Exception):
    """The request was already answered."""


def _link(name: str, *args: object) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _publish_request(request: RecipeRequest) -> None:
    """Both chefs' open pages (the jobs page's request panel) hear of it after commit."""
    event = {"type": "request", "request": selectors.request_as_event(request)}
    for chef in (request.requester, request.chef):
        publish_on_commit(user_topic(chef.user_id), event)


# -- Recipe requests ----------------------------------------------------------------------------


def recipe_request_create(*, requester: User, chef: Chef, name: str, note: str = "") -> RecipeRequest:
    """Ask `chef` to write up the recipe `name`: stored, shown to them live, and e-mailed by a job of theirs."""
    asking, _ = Chef.objects.get_or_create(user=requester)
    if chef.pk == asking.pk:
        raise ValidationError({"chef": "You cannot ask yourself; start a recipe instead."})
    if not chef.user.is_active:
        raise ValidationError({"chef": "That chef's account is closed."})
    if not take(scope="recipe-request", key=str(requester.pk), rate=1 / REQUEST_EVERY, burst=REQUEST_BURST):
        raise ValidationError("You have sent many requests just now; try again in a minute.")
    request = RecipeRequest(requester=asking, chef=chef, name=name, note=note)
    request.full_clean(exclude=["job", "draft"], validate_constraints=False)
    try:
        with transaction.atomic():
            request.save()
            request.job = job_create(owner=chef.user, kind=REQUEST_MAIL_KIND, params={"request_id": request.pk})
            request.save(update_fields=["job"])
            _publish_request(request)
    except IntegrityError:
        if RecipeRequest.objects.filter(
            requester=asking, chef=chef, name__iexact=name, state=RecipeRequest.State.OPEN
        ).exists():
            raise ValidationError({"name": f"You have already asked {chef} for this recipe."}) from None
        raise
    return request


def recipe_request_mail(*, request_id: int) -> dict[str, Any]:
    """E-mail the chef asked (the request job's work); raises MailError when it could not be sent."""
    request = RecipeRequest.objects.select_related("requester__user", "chef__user").filter(pk=request_id).first()
    if request is None:
        return {"e-mailed": "nobody: the request is gone"}
    if request.mailed_at is not None:
        return {"e-mailed": request.chef.user.email, "earlier": True}
    address = request.chef.user.email
    if not address:
        return {"e-mailed": "nobody: the chef has no e-mail address (the request shows on their jobs page)"}
    mail_send(
        to=address,
        subject=f"{request.requester} asks you for a recipe: {request.name}",
        template="notifications/mail/request",
        context={"request": request, "link": _link("jobs:page")},
    )
    with transaction.atomic():
        RecipeRequest.objects.filter(pk=request.pk, mailed_at__isnull=True).update(mailed_at=timezone.now())
        request.refresh_from_db()
        _publish_request(request)
    return {"e-mailed": address}


def _answerable(*, request: RecipeRequest, by: User | AnonymousUser) -> RecipeRequest:
    if not (by.is_authenticated and request.chef.user_id == by.pk):
        raise PermissionDenied("only the chef asked may answer a request")
    locked = (
        RecipeRequest.objects.select_for_update().select_related("requester__user", "chef__user").get(pk=request.pk)
    )
    if locked.state != RecipeRequest.State.OPEN:
        raise RequestStateError(f"the request was already {locked.state}")
    return locked


def recipe_request_accept(*, request: RecipeRequest, by: User | AnonymousUser) -> Recipe:
    """The chef asked accepts: a draft of theirs, named as asked, with the requester as collaborator."""
    with transaction.atomic():
        locked = _answerable(request=request, by=by)
        draft = recipe_create(
            owner=locked.chef, name=locked.name, description=locked.note, collaborators=[locked.requester]
        )
        locked.state, locked.draft, locked.answered_at = RecipeRequest.State.ACCEPTED, draft, timezone.now()
        locked.save(update_fields=["state", "draft", "answered_at"])
        _publish_request(locked)
    return draft


def recipe_request_decline(*, request: RecipeRequest, by: User | AnonymousUser) -> RecipeRequest:
    with transaction.atomic():
        locked = _answerable(request=request, by=by)
        locked.state, locked.answered_at = RecipeRequest.State.DECLINED, timezone.now()
        locked.save(update_fields=["state", "answered_at"])
        _publish_request(locked)
    return locked


# -- Completion notices ---------------------------------------------------------------------------


def completion_notify(*, completion_id: int) -> dict[str, int]:
    """E-mail the recipe's owner and collaborators that it was completed, each once (SentMail).

    Raises MailError on the first message that could not be sent; those already sent stay
    recorded, so the retry sends only the rest. A chef without an address is skipped."""
    completion = RecipeCompletion.objects.select_related("recipe__owner__user", "by").filter(pk=completion_id).first()
    if completion is None:
        return {"sent": 0, "earlier": 0, "no_address": 0}
    recipe = completion.recipe
    chefs = [recipe.owner, *recipe.collaborators.select_related("user").order_by("pk")]
    done = set(SentMail.objects.filter(completion=completion).values_list("chef_id", flat=True))
    counts = {"sent": 0, "earlier": len(done), "no_address": 0}
    for chef in chefs:
        if chef.pk in done:
            continue
        if not chef.user.email:
            counts["no_address"] += 1
            continue
        mail_send(
            to=chef.user.email,
            subject=f"{recipe.name} is completed",
            template="notifications/mail/completed",
            context={"chef": chef, "recipe": recipe, "completion": completion,
                     "link": _link("kitchen:recipe-detail", recipe.pk)},
        )  # fmt: skip
        SentMail.objects.get_or_create(completion=completion, chef=chef)  # committed at once (autocommit)
        done.add(chef.pk)
        counts["sent"] += 1
    return counts


# -- Daily reports --------------------------------------------------------------------------------


def daily_reports_plan(*, day: date) -> dict[str, Any]:
    """Record the day's report of every active chef (pending, or skipped without an e-mail address)
    and return the chefs whose report is still pending, for the caller to enqueue."""
    chefs = list(Chef.objects.filter(user__is_active=True).select_related("user"))
    DailyReport.objects.bulk_create(
        [
            DailyReport(
                chef=chef,
                day=day,
                state=DailyReport.State.PENDING if chef.user.email else DailyReport.State.SKIPPED,
                error="" if chef.user.email else "no e-mail address",
            )
            for chef in chefs
        ],
        ignore_conflicts=True,  # already planned (a second beat, a rerun): left as it is
    )
    pending = list(
        DailyReport.objects.filter(day=day, state=DailyReport.State.PENDING).values_list("chef_id", flat=True)
    )
    skipped = list(
        DailyReport.objects.filter(day=day, state=DailyReport.State.SKIPPED)
        .order_by("chef__user__username")
        .values_list("chef__user__username", flat=True)
    )
    return {"day": day.isoformat(), "pending": pending, "skipped": skipped}


def chef_report_send(*, chef_id: int, day: date) -> str:
    """Send the chef's report of the day unless it was sent, skipped or failed; returns its state.

    The caller holds the (chef, day) lock, so two deliveries never send it together."""
    report = DailyReport.objects.select_related("chef__user").filter(chef_id=chef_id, day=day).first()
    if report is None or report.state != DailyReport.State.PENDING:
        return report.state if report is not None else "unplanned"
    DailyReport.objects.filter(pk=report.pk).update(tries=report.tries + 1)
    chef = report.chef
    mail_send(
        to=chef.user.email,
        subject=f"Your day in the kitchen: {day:%A %d %B}",
        template="notifications/mail/daily_report",
        context={"report": selectors.chef_day(chef=chef, day=day), "link": settings.SITE_URL + "/"},
    )
    DailyReport.objects.filter(pk=report.pk, state=DailyReport.State.PENDING).update(
        state=DailyReport.State.SENT, sent_at=timezone.now(), error=""
    )
    return DailyReport.State.SENT


def chef_report_trouble(*, chef_id: int, day: date, error: MailError, final: bool) -> None:
    """Note why the report was not sent: retried later (pending) or given up on (failed)."""
    reason = f"{'gave up: ' if final else 'will retry: '}{error}"[:300]
    updates: dict[str, Any] = {"error": reason}
    if final:
        updates["state"] = DailyReport.State.FAILED
    DailyReport.objects.filter(Q(state=DailyReport.State.PENDING), chef_id=chef_id, day=day).update(**updates)
    if final:
        logger.error("daily report of chef %s for %s failed: %s", chef_id, day, error)
