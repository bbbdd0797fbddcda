"""View decorators for async views."""

from __future__ import annotations

from django.contrib.auth.decorators import user_passes_test


async def _is_authenticated(user) -> bool:
    return user.is_authenticated


def alogin_required(view):
    """Django's `login_required` for async views, without its thread hop.

    Django runs a sync test function through `sync_to_async`, which inside a request starts a
    new worker thread; an async test function is awaited on the event loop instead.
    """
    return user_passes_test(_is_authenticated)(view)
