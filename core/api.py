"""Conventions shared by every API router: authentication, errors, pagination, input types, bodies.

A request's body is read and decoded in a worker thread (a JSON body of a few megabytes, or a list
of a million numbers, costs tens of milliseconds to decode: never on the event loop) as soon as
it shows credentials (a session cookie, whose CSRF check may need a form's token, or a valid
token), before django-ninja's synchronous parser asks for it; a request without any is refused
without reading it.

Every string a schema takes is a `Name` or a `Text` (core.validators' rules, so the API refuses
what the forms refuse, lone surrogates included) and every integer is bounded (`DbId` for ids:
a database's bigint holds less than 2**63), so no input reaches the database that it cannot store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StringConstraints, model_validator

from core.fastpath.middleware import FORM_CONTENT_TYPES
from core.validators import clean_name, clean_text

MAX_PAGE = 100
logger = logging.getLogger(__name__)


def _pydantic(clean: Callable[[str], str]) -> AfterValidator:
    """A core.validators function as a pydantic validator: its ValidationError becomes a 422 entry."""

    def run(value: str) -> str:
        try:
            return clean(value)
        except DjangoValidationError as error:
            raise ValueError(error.messages[0]) from None

    return AfterValidator(run)


# The control characters both rules refuse, stated in the schema so clients (and the fuzzer) see them.
NO_CONTROLS = r"^[^\x00-\x1f\x7f-\x9f]*$"
TEXT_CONTROLS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"  # tab, LF and CR are allowed
Name = Annotated[
    str,
    StringConstraints(pattern=NO_CONTROLS),
    Field(description="Trimmed. No control, format (but joiners), private-use or unassigned characters; "
                      "at least one visible character."),
    _pydantic(clean_name),
]  # fmt: skip
Text = Annotated[str, StringConstraints(pattern=TEXT_CONTROLS), _pydantic(clean_text)]


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic would read true as 1
        raise ValueError("Input should be an integer, not a boolean")
    return value


def _text_only(value: Any) -> Any:
    if not isinstance(value, str | datetime):  # pydantic would read a number as a Unix time
        raise ValueError("Input should be an ISO 8601 date-time string")
    return value


Int = Annotated[int, BeforeValidator(_not_bool)]
DbId = Annotated[Int, Field(ge=1, lt=2**63)]


def _in_utc(value: datetime) -> datetime:
    """In UTC (a time without an offset is read as UTC): databases refuse offsets past 15:59 and years past 9999."""
    try:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise ValueError("Input should be a date-time between the years 1 and 9999 in UTC") from None


Timestamp = Annotated[datetime, BeforeValidator(_text_only), AfterValidator(_in_utc)]


def positive_decimal(*, integer_digits: int, decimal_places: int, or_exactly: int | None = None) -> Any:
    """A positive amount as a JSON string ("12.5"), the schema's pattern saying exactly what is accepted.

    At most `integer_digits` before the point and `decimal_places` after it; `or_exactly` adds one
    more value (a round maximum such as 10000).
    """
    point = f"(?:\\.[0-9]{{1,{decimal_places}}})?"
    fractions = "|".join(f"0{{{zeros}}}[1-9][0-9]{{0,{decimal_places - 1 - zeros}}}" for zeros in range(decimal_places))
    branches = [f"[1-9][0-9]{{0,{integer_digits - 1}}}{point}", f"0\\.(?:{fractions})"]
    if or_exactly is not None:
        branches.append(f"{or_exactly}(?:\\.0{{1,{decimal_places}}})?")
    pattern = "^(?:" + "|".join(branches) + ")$"
    return Annotated[str, StringConstraints(pattern=pattern), AfterValidator(Decimal), PlainSerializer(str)]


class In(Schema):
    """A request body: a JSON object (django-ninja's Schema would read attributes off any value, e.g. a list)."""

    @model_validator(mode="wrap")
    @classmethod
    def _object_only(cls, data: Any, handler: Any) -> Any:
        if not isinstance(data, dict | In):
            raise ValueError("Input should be a JSON object")
        return handler(data)


_DECODED = "_brigade_decoded_body"  # request attribute: (value, None) or (None, the decoding error)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


# Operations (view names) that take a file upload: their multipart bodies are parsed as a stream
# (files go to temporary files, never memory), and the operation reads request.FILES itself.
STREAMED_UPLOADS = frozenset({"api:create_import"})


def _body_read(request: HttpRequest) -> None:
    match = request.resolver_match
    if request.content_type == "multipart/form-data" and match is not None and match.view_name in STREAMED_UPLOADS:
        request.POST  # noqa: B018 - parsed as a stream
        setattr(request, _DECODED, (None, None))
        return
    body = request.body  # first: a form parse consumes the stream. At most DATA_UPLOAD_MAX_MEMORY_SIZE
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        request.POST  # noqa: B018 - parsed now, for the CSRF check that reads a form's token
    try:
        setattr(request, _DECODED, (json.loads(body) if body else None, None))
    except (ValueError, RecursionError) as error:  # ninja's parser re-raises it: 400
        setattr(request, _DECODED, (None, error))


async def request_body_read(request: HttpRequest) -> None:
    """Read and decode the body in a worker thread; a body Django cannot parse raises (a 400)."""
    if request.method in BODY_METHODS and not hasattr(request, _DECODED):
        await sync_to_async(_body_read)(request)


def decoded_body(request: HttpRequest) -> Any:
    """The JSON body request_body_read decoded (None for none, or for a multipart form)."""
    value, error = getattr(request, _DECODED, (None, None))
    if error is not None:
        raise error
    return value


class ThreadDecodedParser(Parser):
    """django-ninja's JSON parser, handing over what request_body_read decoded."""

    def parse_body(self, request: HttpRequest) -> Any:
        decoded = getattr(request, _DECODED, None)
        if decoded is None:
            return super().parse_body(request)
        value, error = decoded
        if error is not None:
            raise error
        return value


class SessionAuth(APIKeyCookie):
    """The browser's session cookie; unsafe methods must carry the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    async def __call__(self, request: HttpRequest) -> AbstractBaseUser | None:
        if not request.COOKIES.get(self.param_name):
            return None  # not a browser session: let token auth try
        await request_body_read(request)  # the CSRF check reads a form body's token
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
        from accounts.selectors import token_hash

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
        await request_body_read(request)
        request.user = found.user
        return found.user


class ErrorOut(Schema):
    error: str
    detail: list[Any] | dict[Any, Any] | str | None = None


# Every operation may answer these (see install_error_handlers); documented so clients know the shape.
ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 422})


def responses(ok: dict[Any, Any], *, extra_errors: frozenset[int] = frozenset()) -> dict[Any, Any]:
    """An operation's `response=`: its successful responses plus the JSON error replies."""
    return {**ok, ERROR_STATUSES | extra_errors: ErrorOut}


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
    # A body Django cannot parse (multipart without a boundary, too many fields, too big): 400.
    api.add_exception_handler(MultiPartParserError, lambda r, e: reply(r, 400, "the request body is malformed"))
    api.add_exception_handler(SuspiciousOperation, lambda r, e: reply(r, 400, str(e) or "bad request"))

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
