"""The ASGI handler: Django's behaviour, minus the thread hops an async request does not need."""

from __future__ import annotations

import threading

import pytest
from channels.testing import HttpCommunicator
from django.core import signals
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.test import override_settings
from django.urls import path

from core import handlers

seen: dict[str, object] = {}


async def async_view(request):
    seen["async_thread"] = threading.current_thread()
    return JsonResponse({"ok": True})


def sync_view(request):
    connection.ensure_connection()
    seen["sync_thread"] = threading.current_thread()
    seen["sync_connection"] = connection
    return HttpResponse("sync")


urlpatterns = [path("async/", async_view), path("sync/", sync_view)]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]


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
