"""/ws/tasks/: live changes of the user's jobs; staff also hear of everyone's."""

from __future__ import annotations

from typing import Any

from core.realtime.consumers import SignedInTopicsConsumer
from jobs.services import STAFF_TOPIC, user_topic


class JobsConsumer(SignedInTopicsConsumer):
    def topics(self, user: Any) -> list[str]:
        return [user_topic(user.pk), STAFF_TOPIC] if user.is_staff else [user_topic(user.pk)]

    async def joined(self, user: Any) -> None:
        await self.send_json({"type": "welcome", "staff": user.is_staff})  # events flow from here on
