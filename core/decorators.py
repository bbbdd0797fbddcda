"""View decorators for async views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import user_passes_test
from django.contrib.auth.models import AnonymousUser

View = TypeVar("View", bound=Callable[..., Any])


async def _is_authenticated(user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_authenticated


def alogin_required(view: View) -> View:
    """Django's `login_required` for async views, without its thread hop.

    Django runs a sync test function through `sync_to_async`, which inside a request starts a
    new worker thread; an async test function is awaited on the event loop instead.
    """
    # django-stubs type test_func as sync only; Django awaits an async one (since 5.1).
    return user_passes_test(_is_authenticated)(view)  # type: ignore[arg-type]
