"""The chat history a socket loads (on join, on resync, when scrolling back) costs one query, whatever its size."""

from __future__ import annotations

import pytest

from chat import selectors
from chat.models import Message, Room
from kitchen.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def room_with(*, messages: int, authors: int) -> Room:
    room = Room.objects.create(name="pass")
    users = UserFactory.create_batch(authors)
    Message.objects.bulk_create(
        Message(room=room, author=users[i % authors], body=f"message {i}") for i in range(messages)
    )
    return room


@pytest.mark.parametrize(("messages", "authors"), [(3, 1), (40, 8)])
class TestHistoryIsOneQuery:
    def test_latest(self, django_assert_num_queries, messages, authors):
        room = room_with(messages=messages, authors=authors)
        with django_assert_num_queries(1):
            events, _ = selectors.messages_latest(room=room)
        assert len({event["author"]["name"] for event in events}) == authors

    def test_after(self, django_assert_num_queries, messages, authors):
        room = room_with(messages=messages, authors=authors)
        first = Message.objects.filter(room=room).order_by("id").first()
        with django_assert_num_queries(1):
            events, _ = selectors.messages_after(room=room, after_id=first.pk)
        assert len(events) == messages - 1

    def test_before(self, django_assert_num_queries, messages, authors):
        room = room_with(messages=messages, authors=authors)
        last = Message.objects.filter(room=room).order_by("id").last()
        with django_assert_num_queries(1):
            events, _ = selectors.messages_before(room=room, before_id=last.pk + 1)
        assert len({event["author"]["name"] for event in events}) == authors
