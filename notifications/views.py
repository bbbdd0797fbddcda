"""Recipe requests: the form, answering one, and the jobs page's request panel (re-read live)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.types import AuthenticatedHttpRequest
from notifications import selectors, services
from notifications.forms import RecipeRequestForm
from notifications.models import RecipeRequest


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RecipeRequestForm(
        request.POST or None, user=request.user, initial={"name": request.GET.get("name", "")[:200]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            asked = services.recipe_request_create(requester=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)  # {"field": ...} errors land on their fields
        else:
            messages.success(request, f"You asked {asked.chef} for “{asked.name}”; they are told by e-mail and here.")
            return redirect("jobs:page")
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/request_form.html", {"form": form}, status=status)


def _mine_or_404(request: HttpRequest, request_id: int) -> RecipeRequest:
    found = selectors.request_visible(user=request.user, request_id=request_id)
    if found is None:
        raise Http404("No such request")
    return found


@login_required
@require_POST
def request_accept(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    try:
        draft = services.recipe_request_accept(request=_mine_or_404(request, request_id), by=request.user)
    except services.RequestStateError as error:
        messages.error(request, str(error).capitalize() + ".")
        return redirect("jobs:page")
    messages.success(request, f"“{draft.name}” is your draft now, shared with {draft.collaborators.first()}.")
    return redirect("kitchen:recipe-detail", recipe_id=draft.pk)


@login_required
@require_POST
def request_decline(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    try:
        services.recipe_request_decline(request=_mine_or_404(request, request_id), by=request.user)
    except services.RequestStateError as error:
        messages.error(request, str(error).capitalize() + ".")
    return redirect("jobs:page")


@login_required
@require_GET
def request_panel(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The panel alone, for the jobs page to swap in when a request event arrives."""
    return render(request, "notifications/_panel.html", selectors.request_panel(user=request.user))
