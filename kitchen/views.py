from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chat.models import MESSAGE_MAX_LENGTH
from chat.selectors import recipe_room_name
from chat.services import room_enter
from core.shortcuts import arender
from kitchen import selectors
from kitchen.overview import kitchen_overview, kitchen_overview_sync
from kitchen.pricing.costing import recipe_cost


@login_required
@require_GET
def recipe_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.recipe_list(user=request.user), 24).get_page(request.GET.get("page"))
    return render(request, "kitchen/recipe_list.html", {"page": page})


@login_required
@require_GET
def recipe_detail(request: HttpRequest, recipe_id: int) -> HttpResponse:
    recipe = selectors.recipe_detail(user=request.user, recipe_id=recipe_id)
    if recipe is None:
        raise Http404("No such recipe")
    chat_room = room_enter(name=recipe_room_name(recipe.pk), user=request.user)
    return render(
        request,
        "kitchen/recipe_detail.html",
        {
            "recipe": recipe,
            "can_edit": selectors.recipe_can_edit(user=request.user, recipe=recipe),
            "chat_room": chat_room,
            "cost": recipe_cost(recipe),
            "chat_max_length": MESSAGE_MAX_LENGTH,
        },
    )


def _unauthenticated() -> JsonResponse:
    return JsonResponse({"error": "authentication required"}, status=401)


@login_required
@require_GET
async def dashboard(request: HttpRequest) -> HttpResponse:
    """HTML dashboard: recipes, costs, stock and market prices gathered concurrently."""
    overview = await kitchen_overview(user=await request.auser())
    return await arender(request, "kitchen/dashboard.html", {"overview": overview})


@login_required
@require_GET
def dashboard_sync(request: HttpRequest) -> HttpResponse:
    return render(request, "kitchen/dashboard.html", {"overview": kitchen_overview_sync(user=request.user)})


@require_GET
async def overview(request: HttpRequest) -> JsonResponse:
    user = await request.auser()
    if not user.is_authenticated:
        return _unauthenticated()
    return JsonResponse(await kitchen_overview(user=user))


@require_GET
def overview_sync(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return _unauthenticated()
    return JsonResponse(kitchen_overview_sync(user=request.user))
