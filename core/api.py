"""Conventions shared by every API router: authentication, errors, pagination."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import Field

MAX_PAGE = 100
logger = logging.getLogger(__name__)


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; unsafe methods must carry the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    async def __call__(self, request: HttpRequest) -> AbstractBaseUser | None:
        if not request.COOKIES.get(self.param_name):
            return None  # not a browser session: let token auth try
        self._get_key(request)  # runs the CSRF check for unsafe methods (403 on failure)
        user = await request.auser()
        return user if user.is_authenticated else None

    def authenticate(self, request: HttpRequest, key: str | None) -> None:  # pragma: no cover - __call__ is used
        return None


class TokenAuth(HttpBearer):
    """Authorization: Bearer brg_… — a personal API token from the profile page."""

    async def __call__(self, request: HttpRequest) -> AbstractBaseUser | None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return await self.authenticate(request, token.strip())

    async def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        from accounts.models import ApiToken
        from accounts.services import token_hash

        found = (
            await ApiToken.objects.select_related("user")
            .filter(key_hash=token_hash(token), user__is_active=True)
            .afirst()
        )
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            await ApiToken.objects.filter(pk=found.pk).aupdate(last_used_at=now)
        request.user = found.user
        return found.user


class ErrorOut(Schema):
    error: str
    detail: list[Any] | dict[Any, Any] | str | None = None


class PageIn(Schema):
    limit: int = Field(20, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=10**9)


def install_error_handlers(api: NinjaAPI) -> None:
    """Every error is JSON {"error": ..., "detail": ...} with the right status; never a 500 for bad input."""

    def reply(request: HttpRequest, status: int, error: str, detail: object = None) -> HttpResponse:
        return api.create_response(request, {"error": error, "detail": detail}, status=status)

    api.add_exception_handler(
        NinjaValidationError, lambda r, e: reply(r, 422, "the request is not valid", _clean_errors(e.errors))
    )
    api.add_exception_handler(AuthenticationError, lambda r, e: reply(r, 401, "authentication required"))
    api.add_exception_handler(PermissionDenied, lambda r, e: reply(r, 403, str(e) or "not allowed"))
    api.add_exception_handler(Http404, lambda r, e: reply(r, 404, str(e) or "not found"))
    api.add_exception_handler(HttpError, lambda r, e: reply(r, e.status_code, str(e)))
    api.add_exception_handler(IntegrityError, lambda r, e: reply(r, 409, "conflicts with existing data"))

    def internal(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return reply(request, 500, "internal error")

    # django-ninja's annotation says a handler may get an exception class; it always gets an instance.
    api.add_exception_handler(Exception, internal)  # type: ignore[arg-type]
    api.add_exception_handler(
        DjangoValidationError,
        lambda r, e: reply(r, 422, "the request is not valid", getattr(e, "message_dict", None) or e.messages),
    )


def _clean_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic errors carry the offending input (maybe huge) and Python objects: keep what a client needs."""
    return [{"loc": list(err.get("loc", ())), "msg": str(err.get("msg", ""))[:300]} for err in errors[:20]]
