"""chat.services: the room's last activity follows its messages without every writer locking the room."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chat import services
from chat.models import Room
from kitchen.tests.factories import ChefFactory

pytestmark = pytest.mark.django_db


def test_a_rooms_last_activity_is_its_latest_message_to_the_second():
    author = ChefFactory().user
    room = services.room_enter(name="activity", user=author)

    first = services.message_post(room=room, author=author, body="first")
    room.refresh_from_db()
    assert room.last_message_at == first.created_at

    later = services.message_post(room=room, author=author, body="right after")
    room.refresh_from_db()
    assert later.created_at - services.ROOM_ACTIVITY_RESOLUTION <= room.last_message_at <= later.created_at

    Room.objects.filter(pk=room.pk).update(last_message_at=later.created_at - timedelta(minutes=5))
    latest = services.message_post(room=room, author=author, body="after a pause")
    room.refresh_from_db()
    assert room.last_message_at == latest.created_at
