"""Form bodies are parsed off the event loop, through the async middleware and the API's session auth."""

from __future__ import annotations

import asyncio

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.test import AsyncClient

from chat.models import Room

pytestmark = pytest.mark.django_db(transaction=True)


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class LoopWatchingUploadHandler(MemoryFileUploadHandler):
    """Django's in-memory upload handler, noting whether each chunk arrives on an event loop."""

    calls: list[bool] = []

    def receive_data_chunk(self, raw_data, start):
        LoopWatchingUploadHandler.calls.append(on_event_loop())
        return super().receive_data_chunk(raw_data, start)


@pytest.fixture
async def browser(chef, settings):
    settings.FILE_UPLOAD_HANDLERS = ["core.tests.test_body_parsing.LoopWatchingUploadHandler"]
    LoopWatchingUploadHandler.calls = []
    client = AsyncClient(enforce_csrf_checks=True)
    await client.aforce_login(chef.user)
    await client.get("/accounts/profile/")  # sets the CSRF cookie
    return client, client.cookies["csrftoken"].value


class TestMultipartUploads:
    async def test_a_form_post_is_parsed_in_a_thread_for_the_csrf_check(self, browser):
        client, token = browser
        upload = SimpleUploadedFile("menu.txt", b"x" * 100_000)
        response = await client.post("/chat/", {"name": "uploads", "csrfmiddlewaretoken": token, "menu": upload})
        assert response.status_code == 302
        assert await Room.objects.filter(name="uploads").aexists()
        assert LoopWatchingUploadHandler.calls
        assert not any(LoopWatchingUploadHandler.calls)

    async def test_an_api_write_through_the_session_is_parsed_in_a_thread(self, browser):
        client, token = browser
        upload = SimpleUploadedFile("menu.txt", b"x" * 100_000)
        response = await client.post("/api/recipes", {"menu": upload}, headers={"X-CSRFToken": token})
        assert response.status_code == 400  # the API takes JSON
        assert LoopWatchingUploadHandler.calls
        assert not any(LoopWatchingUploadHandler.calls)

    async def test_without_a_boundary_the_form_is_400_and_the_api_says_why(self, browser):
        client, token = browser
        headers = {"X-CSRFToken": token}
        form = await client.post("/chat/", b"x", content_type="multipart/form-data", headers=headers)
        assert form.status_code == 400
        api = await client.post("/api/recipes", b"x", content_type="multipart/form-data", headers=headers)
        assert api.status_code == 400
        assert api.json()["error"] == "the request body is malformed"
