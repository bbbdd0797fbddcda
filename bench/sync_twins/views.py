from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from bench.sync_twins.overview import dashboard_parts_sync, kitchen_overview_json_sync


@login_required
@require_GET
def dashboard_sync(request: HttpRequest) -> HttpResponse:
    tables_html, live_prices = dashboard_parts_sync(user=request.user)
    return render(request, "kitchen/dashboard.html", {"tables_html": tables_html, "live_prices": live_prices})


@require_GET
def overview_sync(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"error": "authentication required"}, status=401)
    return HttpResponse(kitchen_overview_json_sync(user=request.user), content_type="application/json")
