"""Types for annotations only."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """What a view behind `login_required` receives: `request.user` is a signed-in User.

    Never instantiated; annotate a view's request with it so type checkers know the user.
    """

    user: User


class ApiRequest(HttpRequest):
    """What an API view behind SessionAuth or TokenAuth receives: django-ninja sets `auth` to the user."""

    auth: User
