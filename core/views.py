from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from core.health import system_health


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("kitchen:recipe-list")
    return render(request, "core/home.html")


@never_cache
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    report = await system_health()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@cache_control(max_age=86400, public=True)
@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page says: point them at the static SVG."""
    return HttpResponseRedirect(static("core/favicon.svg"))
