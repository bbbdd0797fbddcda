"""Brigade's URLs plus the sync twins at /recipes/dashboard/sync/ and /recipes/overview/sync/."""

from __future__ import annotations

from django.urls import path

from bench.sync_twins import views
from brigade.urls import urlpatterns as brigade_urlpatterns

urlpatterns = [
    path("recipes/dashboard/sync/", views.dashboard_sync),
    path("recipes/overview/sync/", views.overview_sync),
    *brigade_urlpatterns,
]
