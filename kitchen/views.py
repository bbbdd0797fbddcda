from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chat.models import MESSAGE_MAX_LENGTH
from chat.selectors import recipe_room_name
from chat.services import room_enter
from kitchen import selectors


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
            "chat_max_length": MESSAGE_MAX_LENGTH,
        },
    )
