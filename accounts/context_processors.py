from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def signup(request: HttpRequest) -> dict[str, bool]:
    """Pages link to the sign-up form only when anyone may use it (SIGNUP=open)."""
    return {"signup_open": settings.SIGNUP == "open"}
