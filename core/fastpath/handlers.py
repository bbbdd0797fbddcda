"""Django's ASGI handler without the thread hops that an async request does not need.

Django 5.2's handler sends `request_started` with `Signal.asend` and closes the response with
`sync_to_async(response.close)`. Both run Django's sync receivers in a worker thread, and inside
the per-request `ThreadSensitiveContext` the first such call starts a brand-new thread: two hops
and a thread start and join for every request, about 1.3 ms of CPU per request together on our
machine (bench/django_floor.py, docs/PERFORMANCE.md).

Those receivers only reset per-thread state: `close_old_connections` and `reset_queries` act on
the calling thread's database connections, `close_caches` on its cache connections,
`reset_urlconf` on its URLconf override. So:

- when every receiver of a signal is one of those, the signal is sent inline on the event loop
  (where the ORM cannot have opened a connection: Django forbids it there);
- when the request did run sync code in its worker thread (a `sync_to_async` call, a sync view
  or middleware), the response is closed in that thread as Django does, so the connection it
  opened is closed there;
- any other receiver (another app's) keeps Django's behaviour, hops included.

It also leaves no reference cycles behind a finished request (tested): Django's version raises
the disconnect listener's outcome inside `handle` and awaits the cancelled listener, which ties
the frame, both tasks and the request together; with requests that wait hundreds of
milliseconds those cycles reach the oldest GC generation and make full collections frequent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import IO, Any

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.cache import close_caches
from django.core.exceptions import RequestAborted
from django.core.handlers import asgi
from django.core.handlers.base import reset_urlconf
from django.db import close_old_connections, reset_queries
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponseBase
from django.urls import set_script_prefix

Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]

THREAD_LOCAL_RECEIVERS = frozenset({close_old_connections, reset_queries, close_caches, reset_urlconf})


def _thread_local_only(signal: Signal, sender: object) -> bool:
    """True if every receiver of `signal` for `sender` only resets the calling thread's state."""
    sync_receivers, async_receivers = signal._live_receivers(sender)
    return not async_receivers and all(receiver in THREAD_LOCAL_RECEIVERS for receiver in sync_receivers)


def _request_thread_used() -> bool:
    """Did this request run anything in its thread-sensitive worker thread?"""
    context = SyncToAsync.thread_sensitive_context.get(None)
    return context is not None and context in SyncToAsync.context_to_thread_executor


class ASGIHandler(asgi.ASGIHandler):
    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        async with ThreadSensitiveContext():
            await self.handle(scope, receive, send)

    async def handle(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        """Django's `ASGIHandler.handle`, with the signal and close steps below."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(asgi.get_script_prefix(scope))
        await self._request_started(scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None  # for mypy: one or the other is None
            body_file.close()
            await self.send_response(error_response, send)
            await self._close(error_response)
            return

        response = await self._respond(request, receive, send, body_file)
        if response is None:
            await self._request_finished()
        else:
            await self._close(response)
        body_file.close()
        # The request is done. Django's lazy attributes (user, auser, messages) close over it,
        # so it sits in reference cycles that only the cyclic GC frees; with requests alive for
        # hundreds of milliseconds that garbage reaches the oldest generation and makes full
        # collections frequent and slow. Emptying it lets reference counting free it now.
        request.__dict__.clear()

    async def _respond(
        self, request: HttpRequest, receive: Receive, send: Send, body_file: IO[bytes]
    ) -> HttpResponseBase | None:
        """Run the view and send its response in this task, while a second task listens for the client leaving.

        Django runs the view in a task of its own and waits for either task with `asyncio.wait`;
        here the view runs in the handler's own task, which the listener cancels if the client
        leaves: one task and one wait fewer per request. It also closes two gaps in Django's: a
        bad message from the server, or the server cancelling the handler, left the view running.
        Returns the response to close, or None if the client left before there was one.
        """
        handler = asyncio.current_task()
        assert handler is not None  # for mypy: a coroutine runs in a task
        state = {"running": True, "cancelled": False}

        def client_left(listener: asyncio.Task[None]) -> None:
            if state["running"] and not listener.cancelled():
                state["cancelled"] = handler.cancel()

        listener = asyncio.create_task(self.listen_for_disconnect(receive))
        listener.add_done_callback(client_left)
        response: HttpResponseBase | None = None
        try:
            response = await self.run_get_response(request)
            await self.send_response(response, send)
        except asyncio.CancelledError:
            if not state["cancelled"]:
                raise  # cancelled from outside (the server is stopping): not ours to swallow
            # Read the listener's outcome without raising it from within a frame that holds it
            # (a reference cycle): the client left (RequestAborted) or the server misbehaved.
            error = listener.exception()
            if error is not None and not isinstance(error, RequestAborted):
                body_file.close()
                raise error from None
        finally:
            state["running"] = False
            if state["cancelled"]:
                handler.uncancel()  # our own cancellation is handled (or the view swallowed it)
            listener.cancel()
        return response

    async def _request_started(self, scope: dict[str, Any]) -> None:
        if _thread_local_only(signals.request_started, self.__class__):
            signals.request_started.send(sender=self.__class__, scope=scope)
        else:
            await signals.request_started.asend(sender=self.__class__, scope=scope)

    async def _request_finished(self) -> None:
        if not _request_thread_used() and _thread_local_only(signals.request_finished, self.__class__):
            signals.request_finished.send(sender=self.__class__)
        else:
            await signals.request_finished.asend(sender=self.__class__)

    async def _close(self, response: HttpResponseBase) -> None:
        """Close the response (it sends request_finished) in the thread that did the request's sync work."""
        sender = getattr(response, "_handler_class", self.__class__)
        if not _request_thread_used() and _thread_local_only(signals.request_finished, sender):
            response.close()
        else:
            await sync_to_async(response.close)()


def get_asgi_application() -> ASGIHandler:
    """Like `django.core.asgi.get_asgi_application`, with the handler above."""
    import django

    django.setup(set_prefix=False)
    return ASGIHandler()
