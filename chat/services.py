"""Writes for chat. Every message is stored before it is broadcast, and broadcast only on commit."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.models import MESSAGE_MAX_LENGTH, Message, Room, RoomMember
from chat.selectors import message_as_event, recipe_id_for_room, room_may_enter
from core.realtime.hub import publish_on_commit
from core.realtime.messages import MessageError
from core.validators import clean_text


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
    Room.objects.filter(pk=room.pk).update(last_message_at=message.created_at or timezone.now())
    message.author = author
    publish_on_commit(room_topic(room.name), {"type": "message", "message": message_as_event(message)})
    return message
