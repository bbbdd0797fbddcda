"""/ws/kitchen/prices/ through the real ASGI stack on real Redis."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from brigade.asgi import application
from core.realtime.hub import apublish
from jobs.tests.test_consumers import session_headers
from kitchen.pricing.services import PRICES_TOPIC
from kitchen.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


async def test_anonymous_sockets_are_refused_with_4401():
    socket = WebsocketCommunicator(application, "/ws/kitchen/prices/", headers=[(b"origin", b"http://localhost")])
    connected, code = await socket.connect(timeout=5)
    assert not connected
    assert code == 4401


async def test_a_signed_in_chef_hears_price_changes():
    user = await sync_to_async(UserFactory)()
    headers = await sync_to_async(session_headers)(user)
    socket = WebsocketCommunicator(application, "/ws/kitchen/prices/", headers=headers)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    event = {"type": "prices", "ingredients": []}
    for _ in range(50):  # the subscription is confirmed a moment after the join
        await apublish(PRICES_TOPIC, event)
        if not await socket.receive_nothing(timeout=0.1):
            break
        await asyncio.sleep(0)
    assert await socket.receive_json_from(timeout=5) == event
    await socket.disconnect()
