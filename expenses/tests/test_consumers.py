"""/ws/expenses/ through the real ASGI stack on real Redis: each user hears only their own expenses,
every tab of theirs hears them, and bad frames get a field error while the socket stays open."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from brigade.asgi import application
from expenses.models import Expense, ExpenseCategory
from jobs.tests.test_consumers import session_headers
from kitchen.tests.factories import UserFactory
from tests.helpers import ws_open

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("queue")]


async def connect(user) -> WebsocketCommunicator:
    headers = await sync_to_async(session_headers)(user)
    socket = WebsocketCommunicator(application, "/ws/expenses/", headers=headers)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    assert (await socket.receive_json_from(timeout=5))["type"] == "welcome"
    return socket


async def until(socket: WebsocketCommunicator, kind: str) -> dict:
    for _ in range(20):
        event = await socket.receive_json_from(timeout=5)
        if event["type"] == kind:
            return event
    raise AssertionError(f"no {kind} event")


def today() -> str:
    return timezone.localdate().isoformat()


async def test_an_expense_added_in_one_tab_reaches_the_other_tab_and_no_other_user():
    ana, ben = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    tab1, tab2, bens = await connect(ana), await connect(ana), await connect(ben)

    await tab1.send_json_to({"type": "expense.add", "client_id": "a1", "amount": "19.99", "date": today(),
                             "description": "<b>Saffron</b>"})  # fmt: skip
    ack = await until(tab1, "ack")
    assert ack["client_id"] == "a1"
    assert ack["expense"]["amount"] == "19.99"
    created = await until(tab2, "expense.created")
    assert created["expense"]["description"] == "<b>Saffron</b>"
    month = created["expense"]["month"]
    assert created["months"][month]["total"] == "19.99"
    assert await bens.receive_nothing(timeout=0.5)
    for socket in (tab1, tab2, bens):
        await socket.disconnect()


BAD_FIELDS = [
    ({"amount": "-1"}, "amount"), ({"amount": "0"}, "amount"), ({"amount": "NaN"}, "amount"),
    ({"amount": "Infinity"}, "amount"), ({"amount": "1e400"}, "amount"), ({"amount": "1.005"}, "amount"),
    ({"amount": "abc"}, "amount"), ({"amount": ""}, "amount"), ({"amount": 12.5}, "amount"),
    ({"currency": "USD"}, "currency"), ({"category": 999999}, "category"), ({"category": "x"}, "category"),
    ({"description": "x" * 501}, "description"), ({"date": "2999-01-01"}, "date"), ({"date": "1990-01-01"}, "date"),
    ({"owner": 1}, "owner"),
]  # fmt: skip


async def test_every_bad_field_gets_an_error_naming_it_and_nothing_is_saved_or_broadcast():
    ana = await sync_to_async(UserFactory)()
    tab1, tab2 = await connect(ana), await connect(ana)
    for number, (frame, field) in enumerate(BAD_FIELDS):
        client_id = f"c{number}"
        await tab1.send_json_to(
            {"type": "expense.add", "client_id": client_id, "amount": "5", "date": today(), **frame}
        )
        error = await tab1.receive_json_from(timeout=5)
        assert (error["type"], error["field"], error["client_id"]) == ("error", field, client_id), (frame, error)
        assert error["message"]
    assert not await Expense.objects.aexists()
    assert await tab2.receive_nothing(timeout=0.3)  # nothing was broadcast
    await tab1.send_json_to({"type": "month", "month": today()[:7]})  # the socket is still open
    assert (await tab1.receive_json_from(timeout=5))["type"] == "month"
    for socket in (tab1, tab2):
        await socket.disconnect()


async def test_malformed_frames_get_errors_and_the_socket_stays_open():
    ana = await sync_to_async(UserFactory)()
    socket = await connect(ana)
    for raw in ["not json", "[]", '{"type": 5}', "[" * 10000, '{"type": "expense.add", "amount": NaN}',
                '{"type": "expense.add", "amount": 1e400}', '{"type": "nope"}', '{"type": "month", "month": "2026-13"}',
                '{"type": "expense.delete", "id": "x"}']:  # fmt: skip
        await socket.send_to(text_data=raw)
        reply = await socket.receive_json_from(timeout=5)
        assert (reply["type"], "field" in reply) == ("error", True), (raw, reply)
    await socket.send_json_to({"type": "month", "month": today()[:7]})
    assert (await socket.receive_json_from(timeout=5))["type"] == "month"
    await socket.disconnect()


async def test_another_users_expense_or_category_cannot_be_touched():
    ana, ben = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    category = await ExpenseCategory.objects.acreate(owner=ben, name="Bens")
    expense = await Expense.objects.acreate(owner=ben, amount="3.00", date=timezone.localdate())
    socket = await connect(ana)
    await socket.send_json_to({"type": "expense.update", "client_id": "u", "id": expense.pk, "amount": "1"})
    assert (await socket.receive_json_from(timeout=5))["code"] == "not_found"
    await socket.send_json_to({"type": "expense.delete", "client_id": "d", "id": expense.pk})
    assert (await socket.receive_json_from(timeout=5))["code"] == "not_found"
    await socket.send_json_to({"type": "expense.add", "client_id": "a", "amount": "2", "date": today(),
                               "category": category.pk})  # fmt: skip
    assert (await socket.receive_json_from(timeout=5))["field"] == "category"
    assert await Expense.objects.acount() == 1
    await socket.disconnect()


async def test_update_and_delete_reach_every_tab_with_the_months_totals():
    ana = await sync_to_async(UserFactory)()
    tab1, tab2 = await connect(ana), await connect(ana)
    await tab1.send_json_to({"type": "expense.add", "client_id": "a", "amount": "10", "date": today()})
    expense_id = (await until(tab1, "ack"))["expense"]["id"]
    await until(tab2, "expense.created")
    await tab1.send_json_to({"type": "expense.update", "client_id": "u", "id": expense_id, "amount": "12.30"})
    updated = await until(tab2, "expense.updated")
    assert updated["expense"]["amount"] == "12.30"
    assert updated["months"][today()[:7]]["total"] == "12.30"
    await tab1.send_json_to({"type": "expense.delete", "client_id": "d", "id": expense_id})
    deleted = await until(tab2, "expense.deleted")
    assert deleted["expense"]["id"] == expense_id
    assert deleted["months"][today()[:7]]["total"] == "0.00"
    for socket in (tab1, tab2):
        await socket.disconnect()


async def test_the_month_is_read_back_whole():
    ana = await sync_to_async(UserFactory)()
    await Expense.objects.acreate(owner=ana, amount="4.20", date=timezone.localdate(), description="Thyme")
    socket = await connect(ana)
    await socket.send_json_to({"type": "month", "month": today()[:7]})
    state = await socket.receive_json_from(timeout=5)
    assert state["total"] == "4.20"
    assert [e["description"] for e in state["expenses"]] == ["Thyme"]
    assert json.dumps(state).count("4.2") >= 1
    assert isinstance(state["expenses"][0]["amount"], str)
    await socket.disconnect()


async def test_anonymous_sockets_and_foreign_origins_are_refused():
    socket = WebsocketCommunicator(application, "/ws/expenses/", headers=[(b"origin", b"http://localhost")])
    assert await ws_open(socket) == (None, 4401)
    ana = await sync_to_async(UserFactory)()
    headers = [
        (k, b"http://evil.example" if k == b"origin" else v) for k, v in await sync_to_async(session_headers)(ana)
    ]
    socket = WebsocketCommunicator(application, "/ws/expenses/", headers=headers)
    connected, _ = await socket.connect(timeout=5)
    assert not connected
