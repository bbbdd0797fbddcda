"""Reads for chat: room access, history pages, the room list."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet

from chat.models import ROOM_NAME_PATTERN, Message, Room
from core.validators import clean_name
from kitchen.selectors import recipes_visible_to

HISTORY_PAGE = 50
CATCH_UP_PAGE = 200
_ROOM_NAME = re.compile(ROOM_NAME_PATTERN)
_RECIPE_ROOM = re.compile(r"^recipe-(\d{1,12})$")


def room_name_is_valid(name: str) -> bool:
    """A name as the room form would accept it: already trimmed, a valid name, and in the room pattern."""
    try:
        return clean_name(name) == name and bool(_ROOM_NAME.fullmatch(name))
    except ValidationError:
        return False


def recipe_room_name(recipe_id: int) -> str:
    return f"recipe-{recipe_id}"


def recipe_id_for_room(name: str) -> int | None:
    """Rooms named recipe-<id> belong to that recipe; recipe-anything-else is reserved."""
    match = _RECIPE_ROOM.fullmatch(name)
    return int(match.group(1)) if match else None


def room_is_reserved(name: str) -> bool:
    return name.startswith("recipe-") and recipe_id_for_room(name) is None


def room_may_enter(*, user: User | AnonymousUser, name: str) -> bool:
    """Any logged-in chef may use an ordinary room; a recipe room needs sight of the recipe."""
    if not user.is_authenticated or not room_name_is_valid(name) or room_is_reserved(name):
        return False
    recipe_id = recipe_id_for_room(name)
    if recipe_id is None:
        return True
    return recipes_visible_to(user=user).filter(pk=recipe_id).exists()


def room_for_page(*, user: User | AnonymousUser, name: str) -> Room | None:
    """The room a page shows, or None if the user may not enter it. Reads only: a room that does
    not exist yet is shown unsaved, and is created when the page's socket joins it (or by the
    room form's POST), never by a GET."""
    if not room_may_enter(user=user, name=name):
        return None
    return Room.objects.filter(name=name).select_related("recipe").first() or Room(
        name=name, recipe_id=recipe_id_for_room(name)
    )


def message_as_event(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "author": {"id": message.author_id, "name": message.author.get_username()},
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def _messages(room: Room) -> QuerySet[Message]:
    return Message.objects.filter(room=room).select_related("author")


def messages_latest(*, room: Room, limit: int = HISTORY_PAGE) -> tuple[list[dict[str, Any]], bool]:
    """The newest `limit` messages, oldest first, and whether older ones exist."""
    rows = list(_messages(room).order_by("-id")[: limit + 1])
    return [message_as_event(m) for m in reversed(rows[:limit])], len(rows) > limit


def messages_after(*, room: Room, after_id: int, limit: int = CATCH_UP_PAGE) -> tuple[list[dict[str, Any]], bool]:
    """Messages newer than after_id, oldest first, and whether more follow."""
    rows = list(_messages(room).filter(id__gt=after_id).order_by("id")[: limit + 1])
    return [message_as_event(m) for m in rows[:limit]], len(rows) > limit


def messages_before(*, room: Room, before_id: int, limit: int = HISTORY_PAGE) -> tuple[list[dict[str, Any]], bool]:
    rows = list(_messages(room).filter(id__lt=before_id).order_by("-id")[: limit + 1])
    return [message_as_event(m) for m in reversed(rows[:limit])], len(rows) > limit


def rooms_for_list(*, user: User) -> QuerySet[Room]:
    """Ordinary rooms and the recipe rooms of recipes the user may see, busiest first."""
    visible_recipes = recipes_visible_to(user=user).values("pk")
    return Room.objects.filter(Q(recipe__isnull=True) | Q(recipe__in=visible_recipes))


def room_member_counts(*, room_ids: list[int]) -> dict[int, int]:
    rows = Room.objects.filter(pk__in=room_ids).annotate(n=Count("members")).values_list("pk", "n")
    return dict(rows)
