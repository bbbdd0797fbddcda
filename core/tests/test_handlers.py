"""The ASGI handler: Django's behaviour, minus the thread hops an async request does not need."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.testing import HttpCommunicator
from django.core import signals
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.test import override_settings
from django.urls import path

from core.fastpath import handlers

seen: dict[str, object] = {}


async def async_view(request):
    seen["async_thread"] = threading.current_thread()
    return JsonResponse({"ok": True})


def sync_view(request):
    connection.ensure_connection()
    seen["sync_thread"] = threading.current_thread()
    seen["sync_connection"] = connection
    return HttpResponse("sync")


async def slow_view(request):
    seen["slow_started"] = True
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        seen["slow_cancelled"] = True
        raise
    return HttpResponse("late")


urlpatterns = [path("async/", async_view), path("sync/", sync_view), path("slow/", slow_view)]

pytestmark = [pytest.mark.fastpath, pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]


async def get(app, path_: str):
    communicator = HttpCommunicator(app, "GET", path_, headers=[(b"host", b"localhost")])
    response = await communicator.get_response()
    await communicator.wait()  # the handler closes the response after sending it
    return response["status"], response["body"]


@pytest.fixture
def app():
    with override_settings(ROOT_URLCONF=__name__):
        yield handlers.ASGIHandler()


async def test_an_async_view_runs_on_the_event_loop_and_starts_no_thread(app, monkeypatch):
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: (started.append(self.name), real_start(self))[1])
    status, body = await get(app, "/async/")
    assert (status, body) == (200, b'{"ok": true}')
    assert seen["async_thread"] is threading.current_thread()
    assert started == []


async def test_a_sync_view_runs_in_a_thread_whose_connection_is_closed_at_the_end(app):
    status, body = await get(app, "/sync/")
    assert (status, body) == (200, b"sync")
    assert seen["sync_thread"] is not threading.current_thread()
    assert seen["sync_connection"].connection is None  # close_old_connections ran in that thread


async def test_request_signals_are_sent_inline_when_receivers_are_thread_local(app, monkeypatch):
    calls = []

    def receiver(sender, **kwargs):
        calls.append((kwargs["signal"], threading.current_thread()))

    monkeypatch.setattr(handlers, "THREAD_LOCAL_RECEIVERS", handlers.THREAD_LOCAL_RECEIVERS | {receiver})
    signals.request_started.connect(receiver)
    signals.request_finished.connect(receiver)
    try:
        await get(app, "/async/")
    finally:
        signals.request_started.disconnect(receiver)
        signals.request_finished.disconnect(receiver)
    assert calls == [
        (signals.request_started, threading.current_thread()),
        (signals.request_finished, threading.current_thread()),
    ]


async def test_other_receivers_keep_djangos_thread_hop(app):
    threads = []

    def receiver(sender, **kwargs):
        threads.append(threading.current_thread())

    signals.request_finished.connect(receiver)
    try:
        await get(app, "/async/")
    finally:
        signals.request_finished.disconnect(receiver)
    assert len(threads) == 1
    assert threads[0] is not threading.current_thread()


async def test_errors_and_404s_still_go_through_django(app):
    status, _ = await get(app, "/nowhere/")
    assert status == 404


async def test_a_request_that_shows_no_messages_builds_no_message_storage(app, monkeypatch):
    from django.contrib.messages.storage.fallback import FallbackStorage

    built = []
    real_init = FallbackStorage.__init__
    monkeypatch.setattr(
        FallbackStorage, "__init__", lambda self, *a, **k: (built.append(1), real_init(self, *a, **k))[1]
    )
    status, _ = await get(app, "/async/")
    assert status == 200
    assert built == []


async def test_a_finished_request_leaves_no_garbage_cycles_behind(app):
    """Reference counting frees a finished request; only the cyclic GC could free a cycle."""
    import gc

    from django.core.handlers.asgi import ASGIHandler as DjangoHandler

    async def cyclic_garbage(handler) -> int:
        await get(handler, "/async/")  # warm up
        gc.collect()
        gc.disable()
        try:
            for _ in range(5):
                await get(handler, "/async/")
            return gc.collect()
        finally:
            gc.enable()

    ours = await cyclic_garbage(app)
    with override_settings(ROOT_URLCONF=__name__):
        djangos = await cyclic_garbage(DjangoHandler())
    assert djangos > 0  # Django's handler does leave cycles: the measurement can see them
    assert ours == 0


async def _start_slow(app, *, then: dict | None):
    """Run the slow view, then send `then` as the next ASGI message; returns the handler's task."""
    seen.clear()
    inbox: asyncio.Queue = asyncio.Queue()
    sent: list[dict] = []
    await inbox.put({"type": "http.request", "body": b"", "more_body": False})
    scope = {"type": "http", "method": "GET", "path": "/slow/", "query_string": b"", "http_version": "1.1",
             "headers": [(b"host", b"localhost")], "scheme": "http", "server": ("testserver", 80)}  # fmt: skip

    async def send(message):
        sent.append(message)

    task = asyncio.create_task(app(scope, inbox.get, send))
    while not seen.get("slow_started"):
        await asyncio.sleep(0.01)
    if then is not None:
        await inbox.put(then)
    return task, sent


async def test_a_client_that_leaves_cancels_the_view_and_finishes_the_request(app):
    finished = []

    def receiver(**kwargs):
        finished.append(1)

    signals.request_finished.connect(receiver)
    try:
        task, sent = await _start_slow(app, then={"type": "http.disconnect"})
        await asyncio.wait_for(task, 5)  # returns quietly: nobody is left to answer
    finally:
        signals.request_finished.disconnect(receiver)
    assert seen.get("slow_cancelled") is True
    assert sent == []
    assert finished == [1]
    assert task.cancelling() == 0


async def test_a_message_other_than_disconnect_after_the_body_is_an_error(app):
    task, _ = await _start_slow(app, then={"type": "http.request", "body": b"more"})
    with pytest.raises(AssertionError, match="Invalid ASGI message"):
        await asyncio.wait_for(task, 5)
    assert seen.get("slow_cancelled") is True


async def test_the_server_cancelling_the_handler_still_cancels_it(app):
    task, _ = await _start_slow(app, then=None)
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen.get("slow_cancelled") is True
