"""A Redis restart under open sockets: `make run` against an external Redis that is killed and comes back.

Given two chefs in a chat room and a dashboard's price socket, when Redis is killed (losing
everything: it keeps nothing on disk) and started again a few seconds later, then every socket
is told at once that it is not live, pages that need only the database still render, and once
Redis is back every socket is told to catch up, live delivery resumes in the room and for
prices, and /healthz answers 200 again.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from tests.helpers import PrivateRedis, http_status, wait_for
from tests.test_run_command import RunCommand, log_in

pytestmark = pytest.mark.e2e

PRICES_CHANNEL = "brigade:rt:kitchen.prices"  # make run's default key prefix, PRICES_TOPIC


def chef_password(var_dir: Path, username: str) -> str:
    match = re.search(rf"^\s+{username}\s+(\S+)$", (var_dir / "demo-logins.txt").read_text(), re.MULTILINE)
    assert match, f"no demo login for {username}"
    return match.group(1)


def open_socket(base: str, path: str, client: httpx.Client) -> ClientConnection:
    return connect(
        base.replace("http://", "ws://") + path,
        origin=base,
        additional_headers={"Cookie": f"sessionid={client.cookies['sessionid']}"},
        open_timeout=10,
    )


def next_of(socket: ClientConnection, kind: str, *, timeout: float = 30, match=lambda event: True) -> dict:
    """The next event of this type (and matching), skipping others (presence, typing...)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = json.loads(socket.recv(timeout=left))
        except TimeoutError:
            break
        if event.get("type") == kind and match(event):
            return event
    raise AssertionError(f"no {kind!r} event within {timeout:.0f}s")


def say(socket: ClientConnection, body: str) -> None:
    socket.send(json.dumps({"type": "message", "body": body}))
    next_of(socket, "ack")


def test_a_redis_restart_under_open_sockets_resumes_live_delivery(tmp_path):
    external = PrivateRedis(tmp_path)
    external.start()
    run = RunCommand(tmp_path / "var", REDIS_URL=external.url)
    stack = ExitStack()
    try:
        run.wait_healthy()
        head = log_in(run.base, "head", chef_password(run.var_dir, "head"))
        sauce = log_in(run.base, "sauce", chef_password(run.var_dir, "sauce"))
        head_room = stack.enter_context(open_socket(run.base, "/ws/chat/pass/", head))
        sauce_room = stack.enter_context(open_socket(run.base, "/ws/chat/pass/", sauce))
        prices = stack.enter_context(open_socket(run.base, "/ws/kitchen/prices/", sauce))
        sockets = [head_room, sauce_room, prices]
        sauce_room.send(json.dumps({"type": "sync", "after": None}))
        next_of(sauce_room, "history")

        # Given live delivery works
        say(head_room, "before the restart")
        next_of(sauce_room, "message", match=lambda e: e["message"]["body"] == "before the restart")

        # When Redis dies
        external.kill()
        died = time.monotonic()

        # Then every open socket is told it is not live, and the site keeps serving from the database
        for socket in sockets:
            next_of(socket, "stale")
        assert head.get("/recipes/").status_code == 200
        assert http_status(f"{run.base}/healthz") == 503

        # When Redis is back (empty) a few seconds later
        time.sleep(max(0.0, 3 - (time.monotonic() - died)))
        external.start()
        back = time.monotonic()

        # Then every socket is told to catch up
        for socket in sockets:
            next_of(socket, "resync")
        print(f"resync {time.monotonic() - back:.1f}s after Redis was back")

        # And live delivery resumes in the room and for prices
        say(head_room, "after the restart")
        next_of(sauce_room, "message", match=lambda e: e["message"]["body"] == "after the restart")
        redis.Redis(port=external.port).publish(PRICES_CHANNEL, json.dumps({"type": "prices", "ingredients": []}))
        next_of(prices, "prices")

        # And /healthz is 200 again
        wait_for(lambda: http_status(f"{run.base}/healthz") == 200, timeout=60, what="/healthz to answer 200")
        print(f"/healthz 200 {time.monotonic() - back:.1f}s after Redis was back")
    finally:
        stack.close()
        run.close()
        external.kill()
