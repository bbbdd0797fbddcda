from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from brigade.api import api

urlpatterns = [
    path("", include("core.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("recipes/", include("kitchen.urls")),
    path("chat/", include("chat.urls")),
    path("expenses/", include("expenses.urls")),
    path("tasks/", include("jobs.urls")),
    path("requests/", include("notifications.urls")),
    path("imports/", include("imports.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
