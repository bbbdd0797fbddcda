"""Chat on real uvicorn processes: two servers share rooms, presence and history."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest
from websockets.sync.client import connect

from kitchen.tests.factories import ChefFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Client:
    def __init__(self, base: str, room: str, cookie: str) -> None:
        url = base.replace("http://", "ws://") + f"/ws/chat/{room}/"
        self._stack = ExitStack()
        self.socket = self._stack.enter_context(
            connect(url, origin=base, additional_headers={"Cookie": f"sessionid={cookie}"}, open_timeout=10)
        )
        assert self.receive("welcome")["room"] == room

    def send(self, payload: dict) -> None:
        self.socket.send(json.dumps(payload))

    def receive(self, *types: str, timeout: float = 5) -> dict:
        while True:
            event = json.loads(self.socket.recv(timeout=timeout))
            if not types or event["type"] in types:
                return event

    def close(self) -> None:
        self._stack.close()


def test_two_server_processes_share_presence_messages_and_history(
    live_server_url, second_live_server_url, session_cookie
):
    alice = ChefFactory(user__username="alice-live").user
    bob = ChefFactory(user__username="bob-live").user

    # Given Alice on one server process and Bob on another
    a = Client(live_server_url, "two-servers", session_cookie(alice))
    b = Client(second_live_server_url, "two-servers", session_cookie(bob))

    # Then each sees both people in the room
    presence = a.receive("presence")
    while {u["name"] for u in presence["users"]} != {"alice-live", "bob-live"}:
        presence = a.receive("presence")

    # And a message sent on one server reaches the other, in order
    for text in ("first", "second", "third"):
        a.send({"type": "message", "body": text})
    bodies = [b.receive("message")["message"]["body"] for _ in range(3)]
    assert bodies == ["first", "second", "third"]
    acked = [a.receive("ack")["id"] for _ in range(3)]
    assert acked == sorted(acked)

    # When Bob drops and Alice keeps talking, Bob's reconnect catches up from his last id
    b.send({"type": "sync", "after": None})
    history = b.receive("history")
    last_id = history["messages"][-1]["id"]
    b.close()
    a.send({"type": "message", "body": "while you were away"})
    assert a.receive("ack")["id"] > last_id

    b = Client(second_live_server_url, "two-servers", session_cookie(bob))
    b.send({"type": "sync", "after": last_id})
    assert [m["body"] for m in b.receive("catch_up")["messages"]] == ["while you were away"]

    # And Bob leaving is seen on Alice's server
    b.close()
    presence = a.receive("presence")
    while {u["name"] for u in presence["users"]} != {"alice-live"}:
        presence = a.receive("presence")
    a.close()


def test_anonymous_sockets_get_4401_and_foreign_origins_are_refused(live_server_url, session_cookie):
    from websockets.exceptions import InvalidStatus

    from tests.helpers import ws_close_code

    url = live_server_url.replace("http://", "ws://") + "/ws/chat/kitchen/"
    assert ws_close_code(url) == 4401  # anonymous: accepted, then closed with the code the page shows
    cookie = session_cookie(ChefFactory().user)
    with pytest.raises(InvalidStatus):
        connect(url, origin="https://evil.example.com", additional_headers={"Cookie": f"sessionid={cookie}"})
