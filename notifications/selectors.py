"""Reads for requests and reports: who sees which request, and what a chef's day held."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from kitchen.models import Chef, Ingredient, IngredientPrice, Recipe, RecipeCompletion
from notifications.models import DailyReport, RecipeRequest

REQUESTS_SHOWN = 20


def requests_for(*, user: User | AnonymousUser) -> QuerySet[RecipeRequest]:
    """Requests the user sent or was sent, newest first."""
    if not user.is_authenticated:
        return RecipeRequest.objects.none()
    return RecipeRequest.objects.filter(Q(requester__user_id=user.pk) | Q(chef__user_id=user.pk)).select_related(
        "requester__user", "chef__user", "job", "draft"
    )


def request_visible(*, user: User | AnonymousUser, request_id: int) -> RecipeRequest | None:
    return requests_for(user=user).filter(pk=request_id).first()


def request_panel(*, user: User | AnonymousUser) -> dict[str, list[RecipeRequest]]:
    """The jobs page's panel: requests waiting for the user's answer, and the rest (recent first)."""
    received: list[RecipeRequest] = []
    others: list[RecipeRequest] = []
    for request in requests_for(user=user)[: REQUESTS_SHOWN * 2]:
        asked_me = request.chef.user_id == user.pk
        (received if asked_me and request.state == RecipeRequest.State.OPEN else others).append(request)
    return {"waiting": received, "others": others[:REQUESTS_SHOWN]}


def request_as_event(request: RecipeRequest) -> dict[str, Any]:
    return {"id": request.pk, "state": request.state, "name": request.name, "draft_id": request.draft_id}


def chefs_to_ask(*, user: User | AnonymousUser) -> QuerySet[Chef]:
    """Every active chef but the user: whom the request form offers."""
    return Chef.objects.filter(user__is_active=True).exclude(user_id=user.pk or 0).select_related("user")


# -- The daily report ---------------------------------------------------------------------------


@dataclass
class ChefDay:
    chef: Chef
    day: date
    recipes: list[Recipe] = field(default_factory=list)
    completions: list[RecipeCompletion] = field(default_factory=list)
    price_moves: Sequence[Ingredient] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        return not (self.recipes or self.completions or self.price_moves)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day from midnight to midnight in TIME_ZONE (23 or 25 hours on a clock change)."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def chef_day(*, chef: Chef, day: date) -> ChefDay:
    """What the chef's report tells: their recipes changed that day, completions of them, and the
    ingredients in them whose price was observed that day (a fixed number of queries)."""
    start, end = day_bounds(day)
    theirs = Q(owner=chef) | Q(collaborators=chef)
    recipe_ids = Recipe.objects.filter(theirs).values("pk")
    recipes = list(
        Recipe.objects.filter(pk__in=recipe_ids, updated_at__gte=start, updated_at__lt=end).order_by("name")[:100]
    )
    completions = list(
        RecipeCompletion.objects.filter(recipe_id__in=recipe_ids, at__gte=start, at__lt=end)
        .select_related("recipe", "by")
        .order_by("at")[:100]
    )
    observed = IngredientPrice.objects.filter(observed_at__gte=start, observed_at__lt=end)
    moves = list(
        Ingredient.objects.filter(recipe_lines__recipe_id__in=recipe_ids, prices__in=observed)
        .annotate(observations=Count("prices", distinct=True), last_seen=Max("prices__observed_at"))
        .order_by("name")[:100]
    )
    return ChefDay(chef=chef, day=day, recipes=recipes, completions=completions, price_moves=moves)


def reports_of(*, day: date) -> dict[str, Any]:
    """How the day's reports went, for staff: counts per state and who failed or was skipped."""
    rows = list(DailyReport.objects.filter(day=day).select_related("chef__user").order_by("chef__user__username"))
    counts = {state: sum(row.state == state for row in rows) for state in DailyReport.State.values}
    return {
        "day": day,
        "counts": counts,
        "failed": [row for row in rows if row.state == DailyReport.State.FAILED],
        "skipped": [row for row in rows if row.state == DailyReport.State.SKIPPED],
    }
