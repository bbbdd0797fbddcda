"""/ws/expenses/: one user's expenses, live in every open tab of theirs, and written from any of them.

The topic comes from the session's user only. Frames: {"type": "month", "month": "YYYY-MM"} (the
month's state), "expense.add" / "expense.update" / "expense.delete" (the same services as the form
and the API). Amounts are JSON strings. Errors are {"type": "error", "code", "field", "message"},
and the socket stays open.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from core.db import database_call
from core.realtime.consumers import CLIENT_ID_MAX, Bucket, SignedInTopicsConsumer
from core.realtime.messages import MessageError, require_field
from expenses import inputs, services
from expenses.selectors import expense_as_event, expenses_topic, month_state

WRITE_RATE, WRITE_BURST = 5.0, 20.0
READ_RATE, READ_BURST = 2.0, 10.0  # a month read is a handful of aggregate queries
EXPENSE_FIELDS = frozenset({"amount", "date", "description", "category", "currency"})
FRAME_FIELDS = frozenset({"type", "client_id", "id"})


def invalid(error: ValidationError) -> MessageError:
    """A service's field errors as one socket error: the first field, its first message."""
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        return MessageError("invalid", messages[0], field=field)
    return MessageError("invalid", error.messages[0])


def _fields(payload: dict[str, Any], *, allowed: frozenset[str]) -> dict[str, object]:
    unknown = sorted(set(payload) - allowed - FRAME_FIELDS)
    if unknown:
        raise MessageError("invalid", f'"{unknown[0][:40]}" is not a field of an expense', field=unknown[0][:40])
    return {name: payload[name] for name in allowed if name in payload}


class ExpenseConsumer(SignedInTopicsConsumer):
    max_frame_bytes = 8 * 1024  # a 500-character description, even with every character \u-escaped

    def topics(self, user: Any) -> list[str]:
        return [expenses_topic(user.pk)]

    async def joined(self, user: Any) -> None:
        self.user = user
        self._writes = Bucket(WRITE_RATE, WRITE_BURST)
        self._reads = Bucket(READ_RATE, READ_BURST)
        await self.send_json({"type": "welcome"})

    async def send_error(self, error: MessageError, *, client_id: str | None = None) -> None:
        await self.send_json({"field": None, **error.as_event(client_id=client_id)})

    async def handle(self, payload: dict[str, Any]) -> None:
        client_id = require_field(payload, "client_id", str, optional=True)
        if client_id is not None and len(client_id) > CLIENT_ID_MAX:
            raise MessageError("invalid", f'"client_id" may be at most {CLIENT_ID_MAX} characters', field="client_id")
        kind = payload["type"]
        if kind == "month":
            await self._month(payload)
            return
        handler = {"expense.add": self._add, "expense.update": self._update, "expense.delete": self._delete}.get(kind)
        if handler is None:
            await super().handle(payload)
            return
        if not self._writes.take():
            raise MessageError("rate_limited", "too many changes at once: wait a moment and send it again")
        try:
            event = await handler(payload)
        except ValidationError as error:
            raise invalid(error) from None
        except services.NotFound as error:
            raise MessageError("not_found", f"{str(error).capitalize()} among yours.", field="id") from None
        await self.send_json({"type": "ack", "client_id": client_id, **event})

    async def _month(self, payload: dict[str, Any]) -> None:
        if not self._reads.take():
            raise MessageError("rate_limited", "too many months asked for at once: wait a moment")
        try:
            month = inputs.month_parse(payload.get("month"))
        except ValidationError as error:
            raise MessageError("invalid", error.messages[0], field="month") from None
        state = await database_call(month_state)(user_id=self.user.pk, month=month)
        await self.send_json({"type": "month", **state})

    async def _add(self, payload: dict[str, Any]) -> dict[str, Any]:
        fields = _fields(payload, allowed=EXPENSE_FIELDS)
        data = inputs.expense_input(**fields)
        expense = await database_call(services.expense_add)(user=self.user, data=data)
        return {"expense": expense_as_event(expense)}

    async def _update(self, payload: dict[str, Any]) -> dict[str, Any]:
        changes = _fields(payload, allowed=EXPENSE_FIELDS)
        expense = await database_call(services.expense_update)(
            user=self.user, expense_id=payload.get("id"), changes=changes
        )
        return {"expense": expense_as_event(expense)}

    async def _delete(self, payload: dict[str, Any]) -> dict[str, Any]:
        _fields(payload, allowed=frozenset())
        deleted = await database_call(services.expense_delete)(user=self.user, expense_id=payload.get("id"))
        return {"deleted": deleted}
