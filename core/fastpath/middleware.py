"""Django's standard middleware, run inline on the event loop for async requests.

Django runs a MiddlewareMixin's hooks through sync_to_async, one thread hop each way per
middleware per request. These hooks do no I/O (they read headers and cookies, set headers and
build lazy objects), so in async mode they are called directly; sync requests are unchanged.
The only hook that may touch the database — saving a modified session — still goes to a thread,
and a form body that the CSRF check must read (its `csrfmiddlewaretoken`) is parsed in a thread
first: a multipart upload is never parsed on the event loop. A body Django cannot parse (multipart
without a boundary, too many fields) raises there and Django answers 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import SimpleLazyObject, empty

if TYPE_CHECKING:  # what _Inline is mixed into (at run time it stays a plain mixin)
    _MixedInto = MiddlewareMixin
else:
    _MixedInto = object


class _Inline(_MixedInto):
    """Mixed in before a MiddlewareMixin subclass: same class (admin checks see it), no thread hops."""

    # Hooks of the middleware it is mixed into, where it has them (annotations only: hasattr() still tells).
    process_request: Callable[[HttpRequest], HttpResponseBase | None]
    process_view: Callable[..., HttpResponseBase | None]
    process_response: Callable[[HttpRequest, HttpResponseBase], HttpResponseBase]
    get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]]  # async_mode only

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode and hasattr(self, "process_view"):
            sync_view_hook = self.process_view

            async def process_view(
                request: HttpRequest,
                callback: Callable[..., Any],
                callback_args: tuple[Any, ...],
                callback_kwargs: dict[str, Any],
            ) -> HttpResponseBase | None:
                return sync_view_hook(request, callback, callback_args, callback_kwargs)

            # Django adapts hooks by what it finds on the instance (so the type changes here).
            self.process_view = process_view  # type: ignore[assignment]

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self._acall(request)
        return super().__call__(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase | None = None
        if hasattr(self, "process_request"):
            response = self.process_request(request)
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = await self._process_response(request, response)
        return response

    async def _process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        return self.process_response(request, response)


def inline(middleware: type[MiddlewareMixin]) -> type[MiddlewareMixin]:
    return type(f"Inline{middleware.__name__}", (_Inline, middleware), {})


InlineSecurityMiddleware = inline(SecurityMiddleware)
InlineCommonMiddleware = inline(CommonMiddleware)
FORM_CONTENT_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


async def request_form_parse(request: HttpRequest) -> None:
    """Parse a POSTed form body (request.POST and FILES) in a worker thread, where uploads may block.

    Other content types leave request.POST empty without reading the body; Django caches what it
    parsed, so the view reads it again for free. Raises MultiPartParserError on a malformed body.
    """
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        await sync_to_async(lambda: request.POST)()


class InlineCsrfViewMiddleware(_Inline, CsrfViewMiddleware):  # type: ignore[misc]  # django-stubs' hook types
    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        if self.async_mode:
            check: Any = self.process_view  # made async by _Inline

            async def process_view(
                request: HttpRequest, callback: Any, callback_args: Any, callback_kwargs: Any
            ) -> HttpResponseBase | None:
                # Parsing only: the check itself stays Django's. A view marked csrf_exempt (django-ninja
                # marks its API views so and runs its own CSRF check for session auth) is one Django's
                # check skips, so its body is not read here but by the view's own parser.
                if not getattr(callback, "csrf_exempt", False):
                    await request_form_parse(request)  # Django's check reads request.POST on every POST
                response: HttpResponseBase | None = await check(request, callback, callback_args, callback_kwargs)
                return response

            self.process_view = process_view  # type: ignore[assignment]


InlineAuthenticationMiddleware = inline(AuthenticationMiddleware)
InlineXFrameOptionsMiddleware = inline(XFrameOptionsMiddleware)


# django-stubs type Django's hooks with HttpResponse; Django passes any HttpResponseBase.
class InlineSessionMiddleware(_Inline, SessionMiddleware):  # type: ignore[misc]
    async def _process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        session = getattr(request, "session", None)
        if session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST):
            return await sync_to_async(self.process_response)(request, response)
        return self.process_response(request, response)


class InlineMessageMiddleware(_Inline, MessageMiddleware):
    """The message storage is built on first use: JSON and API requests never touch it.

    Django builds cookie and session storages (and a cookie signer) on every request; that was
    about 5% of the overview's CPU time.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]  # Django's name

    # Django passes and returns any HttpResponseBase here; the stubs say HttpResponse.
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:  # type: ignore[override]
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:  # type: ignore[attr-defined]  # private, see core/fastpath
            return response
        return super().process_response(request, response)
