from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

ROOM_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MESSAGE_MAX_LENGTH = 2000


class Room(models.Model):
    name = models.CharField(max_length=64, unique=True)
    recipe = models.OneToOneField(
        "kitchen.Recipe", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_room"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = [models.F("last_message_at").desc(nulls_last=True), "name"]
        constraints = [
            models.CheckConstraint(condition=Q(name__regex=ROOM_NAME_PATTERN), name="room_name_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class RoomMember(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_rooms")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="room_member_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id}"


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["room", "id"])]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="message_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.author_id}@{self.room_id}: {self.body[:30]}"
