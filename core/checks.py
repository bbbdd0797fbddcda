"""Deploy checks: the inline middleware (Django's own look for the exact dotted paths), and the
upstream code Brigade copies or relies on (core/upstream.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.module_loading import import_string

REQUIRED = {
    "brigade.W001": SecurityMiddleware,
    "brigade.W002": XFrameOptionsMiddleware,
    "brigade.W003": CsrfViewMiddleware,
}


@register(Tags.security, deploy=True)
def security_middleware_present(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Warning]:
    installed = [import_string(path) for path in settings.MIDDLEWARE]
    return [
        Warning(f"No subclass of {required.__name__} is in MIDDLEWARE.", id=check_id)
        for check_id, required in REQUIRED.items()
        if not any(issubclass(mw, required) for mw in installed if isinstance(mw, type))
    ]


@register(Tags.compatibility, deploy=True)
def upstream_unchanged(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[Warning]:
    """Django, asgiref or Ninja code that Brigade copies or relies on changed since it was read."""
    from core.upstream import problems

    return [Warning(problem, id="brigade.W010") for problem in problems(fastpath=settings.FASTPATH)]
