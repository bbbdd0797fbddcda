"""/ws/tasks/: live changes of the user's jobs; staff also hear of everyone's."""

from __future__ import annotations

from core.realtime.consumers import CLOSE_UNAUTHORISED, JsonSocketConsumer
from jobs.services import STAFF_TOPIC, user_topic


class JobsConsumer(JsonSocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        await self.accept()
        await self.topic_join(user_topic(user.pk))
        if user.is_staff:
            await self.topic_join(STAFF_TOPIC)
        await self.send_json({"type": "welcome", "staff": user.is_staff})  # events flow from here on

    async def disconnect(self, code: int) -> None:
        await self.topic_leave()
