"""The chat socket through the real ASGI stack (session auth, origin check) on real Redis."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction
from django.test import Client

from brigade.asgi import application
from chat.consumers import ChatConsumer
from chat.models import Message, Room
from kitchen.models import Recipe
from kitchen.tests.factories import ChefFactory, RecipeFactory
from tests.helpers import ws_open

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(user) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return [(b"origin", b"http://localhost"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


@pytest.fixture
def alice(db):
    return ChefFactory(user__username="alice").user


@pytest.fixture
def bob(db):
    return ChefFactory(user__username="bob").user


class Socket:
    """A connected chat client that skips presence/typing noise unless asked."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator

    async def send(self, payload: dict | str | bytes) -> None:
        if isinstance(payload, bytes):
            await self.communicator.send_to(bytes_data=payload)
        else:
            await self.communicator.send_to(text_data=payload if isinstance(payload, str) else json.dumps(payload))

    async def receive(self, *types: str, timeout: float = 3) -> dict:
        while True:
            event = await self.communicator.receive_json_from(timeout=timeout)
            if not types or event["type"] in types:
                return event

    async def nothing_of(self, *types: str, timeout: float = 0.4) -> bool:
        # receive_nothing, unlike a timed-out receive, leaves the application running.
        while not await self.communicator.receive_nothing(timeout=timeout):
            event = await self.communicator.receive_json_from()
            if event["type"] in types:
                return False
        return True

    async def still_open(self) -> bool:
        await self.send({"type": "ping"})
        return (await self.receive("pong"))["type"] == "pong"

    async def close(self) -> None:
        await self.communicator.disconnect()


async def connect(user, room: str = "pass", headers=None) -> tuple[Socket | None, int | None]:
    headers = headers if headers is not None else await sync_to_async(session_headers)(user)
    communicator = WebsocketCommunicator(application, f"/ws/chat/{room}/", headers=headers)
    welcome, code = await ws_open(communicator)
    if welcome is None:
        return None, code
    socket = Socket(communicator)
    assert (welcome["type"], welcome["room"]) == ("welcome", room)
    return socket, None


async def stored(**filters) -> int:
    return await Message.objects.filter(**filters).acount()


class TestIdentity:
    async def test_anonymous_sockets_are_refused(self):
        socket, code = await connect(None, headers=[(b"origin", b"http://localhost")])
        assert socket is None
        assert code == 4401

    async def test_the_sender_is_the_session_user_whatever_the_client_claims(self, alice, bob):
        a, _ = await connect(alice)
        b, _ = await connect(bob)
        await a.send({"type": "message", "body": "hello", "username": "bob", "author": {"id": bob.pk, "name": "bob"}})
        event = await b.receive("message")
        assert event["message"]["author"] == {"id": alice.pk, "name": "alice"}
        assert await stored(author=alice, body="hello") == 1
        assert await stored(author=bob) == 0
        await a.close()
        await b.close()


class TestPersistenceAndCatchUp:
    async def test_joining_shows_history_and_a_reconnect_catches_up_in_order(self, alice, bob):
        a, _ = await connect(alice)
        for text in ("one", "two", "three"):
            await a.send({"type": "message", "body": text})
            await a.receive("ack")

        b, _ = await connect(bob)
        await b.send({"type": "sync", "after": None})
        history = await b.receive("history")
        assert [m["body"] for m in history["messages"]] == ["one", "two", "three"]
        assert history["has_older"] is False
        last_seen = history["messages"][-1]["id"]
        await b.close()

        for text in ("four", "five"):
            await a.send({"type": "message", "body": text})
            await a.receive("ack")

        b, _ = await connect(bob)
        await b.send({"type": "sync", "after": last_seen})
        catch_up = await b.receive("catch_up")
        assert [m["body"] for m in catch_up["messages"]] == ["four", "five"]
        assert catch_up["has_newer"] is False
        await a.close()
        await b.close()

    async def test_older_history_pages_in(self, alice):
        room = await Room.objects.acreate(name="busy")
        await Message.objects.abulk_create(Message(room=room, author=alice, body=f"m{i}") for i in range(60))
        a, _ = await connect(alice, "busy")
        await a.send({"type": "sync", "after": None})
        history = await a.receive("history")
        assert len(history["messages"]) == 50
        assert history["messages"][-1]["body"] == "m59"
        assert history["has_older"] is True
        await a.send({"type": "older", "before": history["messages"][0]["id"]})
        older = await a.receive("older")
        assert [m["body"] for m in older["messages"]] == [f"m{i}" for i in range(10)]
        assert older["has_older"] is False
        await a.close()


class TestBadInput:
    @pytest.mark.parametrize(
        ("frame", "code"),
        [
            ("not json", "invalid_json"),
            (b"\x00\x01binary", "binary_not_supported"),
            ('{"type": "dance"}', "unknown_type"),
            ('{"body": "no type"}', "invalid_message"),
            ('{"type": "message"}', "invalid_message"),
            ('{"type": "message", "body": 42}', "invalid_message"),
            ('{"type": "message", "body": ["a"]}', "invalid_message"),
            ('{"type": "message", "body": ""}', "empty_message"),
            ('{"type": "message", "body": "   \\n "}', "empty_message"),
            (json.dumps({"type": "message", "body": "x" * 2001}), "message_too_long"),
            ('{"type": "message", "body": ' + "[" * 3000 + "]" * 3000 + "}", "invalid_json"),
            ('{"type": "message", "body": "a", "n": NaN}', "invalid_json"),
            ('{"type": "message", "body": "a", "client_id": 7}', "invalid_message"),
            ('{"type": "sync", "after": "12"}', "invalid_message"),
            ('{"type": "sync", "after": true}', "invalid_message"),
            ('{"type": "older"}', "invalid_message"),
            ('{"type": "older", "before": -1}', "invalid_message"),
            ('{"type": "sync", "after": 99999999999999999999999}', "invalid_message"),
            ('{"type": "message", "body": "a", "client_id": "' + "c" * 65 + '"}', "invalid_message"),
            ('{"type": "message", "body": "nul \\u0000 byte"}', "invalid_message"),
            ('{"type": "message", "body": "bell \\u0007"}', "invalid_message"),
            ('{"type": "message", "body": "c1 \\u009b"}', "invalid_message"),
            ('{"type": "message", "body": "lone \\ud83d surrogate"}', "invalid_message"),
            (json.dumps({"type": "message", "body": "y" * 20000}), "frame_too_large"),
        ],
    )
    async def test_bad_frames_get_an_error_store_nothing_and_broadcast_nothing(self, alice, bob, frame, code):
        a, _ = await connect(alice)
        b, _ = await connect(bob)
        await a.send(frame)
        error = await a.receive("error")
        assert error["code"] == code
        assert error["message"]
        assert await a.still_open()
        assert await b.nothing_of("message")
        assert await stored() == 0
        await a.close()
        await b.close()

    async def test_tabs_and_line_breaks_are_kept_and_crlf_becomes_lf(self, alice):
        a, _ = await connect(alice)
        await a.send({"type": "message", "body": "one\ttwo\r\nthree 👩\u200d🍳"})
        assert (await a.receive("ack", "error"))["type"] == "ack"
        assert (await Message.objects.aget()).body == "one\ttwo\nthree 👩\u200d🍳"
        await a.close()

    async def test_sustained_abuse_closes_the_socket(self, alice):
        a, _ = await connect(alice)
        for _ in range(40):
            await a.send("garbage")
        while True:
            output = await a.communicator.receive_output(timeout=3)
            if output["type"] == "websocket.close":
                assert output["code"] == 4429
                break


class TestRateLimit:
    async def test_a_burst_beyond_the_limit_is_refused_with_an_error_not_a_disconnect(self, alice):
        a, _ = await connect(alice)
        for i in range(25):
            await a.send({"type": "message", "body": f"spam {i}"})
        acks = errors = 0
        while acks + errors < 25:
            event = await a.receive("ack", "error")
            if event["type"] == "ack":
                acks += 1
            else:
                assert event["code"] == "rate_limited"
                errors += 1
        assert errors > 0
        assert 10 <= acks < 25
        assert await stored() == acks
        assert await a.still_open()
        await a.close()

    async def test_the_limit_is_per_user_across_connections(self, alice, monkeypatch):
        # A slow refill, so that a loaded machine cannot earn a token back between the sends.
        monkeypatch.setattr("chat.consumers.RATE_PER_SECOND", 0.01)
        a1, _ = await connect(alice)
        a2, _ = await connect(alice, "line")
        for i in range(10):
            await a1.send({"type": "message", "body": f"a1 {i}"})
            await a1.receive("ack", "error")
        await a2.send({"type": "message", "body": "from the other tab"})
        assert (await a2.receive("ack", "error"))["type"] == "error"
        await a1.close()
        await a2.close()


def hold_room_row(room_id: int, held: threading.Event, release: threading.Event) -> None:
    """Keep the room's row locked (on SQLite: the database's write lock) until released."""
    try:
        with transaction.atomic():
            Room.objects.select_for_update().get(pk=room_id)
            held.set()
            release.wait(timeout=15)
    finally:
        connection.close()


class TestSlowDown:
    async def test_a_busy_server_refuses_what_it_cannot_queue_and_the_client_sends_it_again(self, alice, monkeypatch):
        monkeypatch.setattr(ChatConsumer, "max_pending_frames", 2)
        a, _ = await connect(alice, "busy")
        room = await Room.objects.aget(name="busy")

        # Given a database that cannot take the room's next message yet
        held, release = threading.Event(), threading.Event()
        holder = threading.Thread(target=hold_room_row, args=(room.pk, held, release))
        holder.start()
        assert await asyncio.to_thread(held.wait, 5)

        # When the client sends more than the socket's queue holds
        sent = [f"c{n}" for n in range(1, 7)]
        try:
            for client_id in sent:
                await a.send({"type": "message", "body": f"body of {client_id}", "client_id": client_id})
            # Then the frames that do not fit are refused at once, each naming its client_id
            refused = []
            while len(refused) < len(sent) - 3:  # at most one in hand and two waiting
                event = await a.receive("error", "ack")
                assert event["type"] == "error"
                assert event["code"] == "slow_down"
                refused.append(event["client_id"])
        finally:
            release.set()
            await asyncio.to_thread(holder.join)

        # And the accepted ones are stored and acknowledged in the order sent
        acked = []
        while len(acked) + len(refused) < len(sent):
            event = await a.receive("error", "ack")
            assert event["type"] == "ack", event
            acked.append(event["client_id"])
        assert acked == [c for c in sent if c not in refused]

        # And what was refused is stored when sent again
        for client_id in refused:
            await a.send({"type": "message", "body": f"body of {client_id}", "client_id": client_id})
            assert (await a.receive("ack"))["client_id"] == client_id
        bodies = [m async for m in Message.objects.filter(room=room).order_by("id").values_list("body", flat=True)]
        assert bodies == [f"body of {c}" for c in acked + refused]
        assert await a.still_open()
        await a.close()


class TestRooms:
    @pytest.mark.parametrize(
        "name",
        ["a%20b", "x" * 65, "%C3%A9t%C3%A9", "recipe-abc", "dots.here", "%00", "%07bell", "tab%09", "nl%0A",
         "zw%E2%80%8Bsp", "%E2%80%AEevil", "recipe-99999999999999999999"],
    )  # fmt: skip
    async def test_invalid_room_names_are_refused(self, alice, name):
        socket, code = await connect(alice, name)
        assert socket is None
        assert code == 4404
        assert not await Room.objects.filter(name=name).aexists()

    async def test_rooms_are_created_on_first_use(self, alice):
        a, _ = await connect(alice, "new-room_1")
        assert await Room.objects.filter(name="new-room_1", created_by=alice).aexists()
        await a.close()

    async def test_a_recipe_room_admits_only_chefs_who_may_see_the_recipe(self, alice, bob):
        recipe = await sync_to_async(RecipeFactory)(owner=alice.chef, status=Recipe.Status.DRAFT)
        socket, code = await connect(bob, f"recipe-{recipe.pk}")
        assert socket is None
        assert code == 4404
        a, _ = await connect(alice, f"recipe-{recipe.pk}")
        assert a is not None
        await a.close()

    async def test_a_recipe_room_for_a_missing_recipe_is_refused(self, alice):
        socket, code = await connect(alice, "recipe-999999")
        assert socket is None
        assert code == 4404


class TestPresenceAndTyping:
    async def test_presence_lists_everyone_and_typing_reaches_others(self, alice, bob):
        a, _ = await connect(alice, "presence-check")
        b, _ = await connect(bob, "presence-check")
        presence = await a.receive("presence")
        while {u["name"] for u in presence["users"]} != {"alice", "bob"}:
            presence = await a.receive("presence")
        await b.send({"type": "typing"})
        typing = await a.receive("typing")
        assert typing["user"]["name"] == "bob"
        await b.close()
        presence = await a.receive("presence")
        assert [u["name"] for u in presence["users"]] == ["alice"]
        await a.close()


class TestFailures:
    async def test_an_unreachable_redis_closes_with_try_again_later_not_a_crash(self, alice, monkeypatch):
        import redis

        from core.realtime import consumers

        class DownHub:
            async def join(self, *args):
                raise redis.ConnectionError("Redis is down")

            async def leave(self, *args):
                raise redis.ConnectionError("Redis is down")

        monkeypatch.setattr(consumers, "hub", DownHub)
        headers = await sync_to_async(session_headers)(alice)
        communicator = WebsocketCommunicator(application, "/ws/chat/pass/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        output = await communicator.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": 1013}
