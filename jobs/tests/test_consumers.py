"""/ws/tasks/ through the real ASGI stack on real Redis: the owner hears of their jobs, others do not."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from brigade.asgi import application
from jobs import services
from kitchen.tests.factories import UserFactory
from tests.helpers import ws_open

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return [(b"origin", b"http://localhost"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def connect(user) -> WebsocketCommunicator:
    headers = await sync_to_async(session_headers)(user)
    communicator = WebsocketCommunicator(application, "/ws/tasks/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "welcome"
    return communicator


async def job_events(socket: WebsocketCommunicator, count: int) -> list[dict]:
    return [(await socket.receive_json_from(timeout=5))["job"] for _ in range(count)]


async def test_the_owner_and_staff_hear_of_a_job_other_chefs_do_not():
    owner, other = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    staff = await sync_to_async(UserFactory)(is_staff=True)
    sockets = [await connect(user) for user in (owner, other, staff)]
    owner_socket, other_socket, staff_socket = sockets

    job = await sync_to_async(services.job_create)(owner=owner, kind="demo.count", params={"count": 2})
    run = await sync_to_async(services.job_start)(job_id=job.pk, task_id="t")
    await sync_to_async(services.job_progress)(job_id=job.pk, attempt=run.attempts, done=1, total=2)

    seen = await job_events(owner_socket, 3)
    assert [(e["id"], e["state"], e["done"], e["total"]) for e in seen] == [
        (job.pk, "queued", 0, None), (job.pk, "running", 0, None), (job.pk, "running", 1, 2),
    ]  # fmt: skip
    assert [e["state"] for e in await job_events(staff_socket, 3)] == ["queued", "running", "running"]
    assert await other_socket.receive_nothing(timeout=0.5)
    for socket in sockets:
        await socket.disconnect()


async def test_a_staff_member_hears_of_their_own_job_on_both_topics():
    staff = await sync_to_async(UserFactory)(is_staff=True)
    socket = await connect(staff)
    await sync_to_async(services.job_create)(owner=staff, kind="demo.count", params={})
    # Twice (their own topic and the staff topic): events are snapshots, so the page applies both alike
    assert [e["state"] for e in await job_events(socket, 2)] == ["queued", "queued"]
    await socket.disconnect()


async def test_anonymous_sockets_are_refused():
    communicator = WebsocketCommunicator(application, "/ws/tasks/", headers=[(b"origin", b"http://localhost")])
    assert await ws_open(communicator) == (None, 4401)
