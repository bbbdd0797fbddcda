"""Writes for chat. Every message is stored before it is broadcast, and broadcast only on commit."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from chat.models import MESSAGE_MAX_LENGTH, Message, Room, RoomMember
from chat.selectors import message_as_event, recipe_id_for_room, room_may_enter
from core.realtime.hub import publish_on_commit
from core.realtime.messages import MessageError
from core.validators import clean_text

ROOM_ACTIVITY_RESOLUTION = timedelta(seconds=1)


class RoomAccessDenied(Exception):
    pass


def room_topic(room_name: str) -> str:
    return f"chat.{room_name}"


def room_enter(*, name: str, user: User) -> Room:
    """Open a room (creating it on first use) and record the user as a member."""
    if not room_may_enter(user=user, name=name):
        raise RoomAccessDenied(name)
    room = Room.objects.filter(name=name).first()
    if room is None:
        try:
            with transaction.atomic():
                room = Room.objects.create(name=name, recipe_id=recipe_id_for_room(name), created_by=user)
        except IntegrityError:  # another process created it first
            room = Room.objects.get(name=name)
    RoomMember.objects.get_or_create(room=room, user=user)
    return room


def clean_message_body(body: object) -> str:
    if not isinstance(body, str):
        raise MessageError("invalid_message", '"body" must be a string')
    try:
        text = clean_text(body).strip()
    except ValidationError as error:
        raise MessageError("invalid_message", error.messages[0]) from None
    if not text:
        raise MessageError("empty_message", "a message cannot be empty")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise MessageError("message_too_long", f"a message may be at most {MESSAGE_MAX_LENGTH} characters")
    return text


@transaction.atomic
def message_post(*, room: Room, author: User, body: object) -> Message:
    text = clean_message_body(body)
    message = Message.objects.create(room=room, author=author, body=text)
    # Every writer in a room would otherwise update its one row, each waiting for the previous
    # transaction's lock until it commits. The room list shows activity to the minute: writing
    # it at most once a second keeps writers from queueing (a row the WHERE skips is not locked).
    at = message.created_at or timezone.now()
    Room.objects.filter(
        Q(last_message_at__isnull=True) | Q(last_message_at__lte=at - ROOM_ACTIVITY_RESOLUTION), pk=room.pk
    ).update(last_message_at=at)
    message.author = author
    publish_on_commit(room_topic(room.name), {"type": "message", "message": message_as_event(message)})
    return message
