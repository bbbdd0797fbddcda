from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.decorators import alogin_required
from core.health import system_health
from core.shortcuts import arender


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


@alogin_required
@require_GET
async def tasks(request: HttpRequest) -> HttpResponse:
    return await arender(request, "core/tasks.html", {"health": await system_health()})
