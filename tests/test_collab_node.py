"""The unmodified y-websocket client (Node, frontend/package.json's pins) against Brigade's document
socket, beside a Python (pycrdt) client: join, sync, edit both ways, presence, refusal."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pycrdt import Text

from kitchen.models import Recipe
from kitchen.tests.factories import ChefFactory
from tests.collab_client import YClient
from tests.collab_node_driver import NodeYjsClient
from tests.test_collab_live import recipe_with_rows

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def run(loop: asyncio.AbstractEventLoop, coroutine, timeout: float = 60):
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)


@pytest.fixture
def loop():
    """An event loop in a thread of its own for the Node client's process and pipes (in the e2e run,
    Playwright's sync API already runs a loop in the test's thread)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="node-client-loop", daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_the_y_websocket_client_joins_edits_converges_and_is_seen(live_server_url, session_cookie, loop):
    owner = ChefFactory(user__username="node-owner")
    helper = ChefFactory(user__username="node-helper")
    recipe = recipe_with_rows(owner=owner)
    recipe.collaborators.add(helper)
    ws_base = live_server_url.replace("http://", "ws://") + "/ws/recipes"
    python = YClient(live_server_url, recipe.pk, session_cookie(owner.user)).wait_synced()
    node = run(loop, NodeYjsClient.start(ws_base, recipe.pk, session_cookie(helper.user), live_server_url))
    try:
        # The Node client joins and receives the recipe
        run(loop, node.wait_event("synced"))
        state = run(loop, node.state())
        assert state["content"]["name"] == "Tarte tatin"
        assert [line["ingredient"] for line in state["content"]["lines"]] == ["Apple", "Butter"]

        # Its edit reaches the Python client; the Python client's edit reaches it
        run(loop, node.send({"op": "insert", "field": "name", "index": 0, "text": "Node "}))
        python.wait(lambda: python.content()["name"].startswith("Node "), what="the Node client's edit")
        python.doc.get("description", type=Text).insert(0, "Python. ")
        run(loop, node.wait_for(lambda e: e.get("event") == "update"))

        async def converged() -> dict:
            for _ in range(50):
                state = await node.state()
                if state["content"]["description"].startswith("Python. "):
                    return state
                await asyncio.sleep(0.1)
            raise AssertionError("the Node client never saw the Python client's edit")

        state = run(loop, converged())
        python.pump(0.3)
        assert state["content"]["name"] == python.content()["name"]
        assert state["content"]["description"] == python.content()["description"]
        assert [line["id"] for line in state["content"]["lines"]] == [line["id"] for line in python.content()["lines"]]

        # Its presence reaches the Python client with the session's user, whatever it claimed
        run(loop, node.send({"op": "awareness", "state": {"cursor": 5, "user": {"name": "the owner"}}}))
        node_id = state["client_id"]
        python.wait(lambda: python.awareness.get(node_id, {}).get("cursor") == 5, what="the Node client's presence")
        assert python.awareness[node_id]["user"]["name"] == "node-helper"
        # And the Python client's presence reaches it
        python.set_presence({"cursor": 9})

        async def sees_python() -> None:
            for _ in range(50):
                state = await node.state()
                states = {int(k): v for k, v in state["awareness"].items()}
                if states.get(python.client_id, {}).get("cursor") == 9:
                    assert states[python.client_id]["user"]["name"] == "node-owner"
                    return
                await asyncio.sleep(0.1)
            raise AssertionError("the Node client never saw the Python client's presence")

        run(loop, sees_python())
        # The rows follow the Node client's edit
        for _ in range(100):
            if Recipe.objects.get(pk=recipe.pk).name.startswith("Node "):
                break
            python.pump(0.1)
        assert Recipe.objects.get(pk=recipe.pk).name == python.content()["name"]
    finally:
        run(loop, node.close())
        python.close()


def test_the_y_websocket_client_hears_a_refusal_as_a_close_code(live_server_url, session_cookie, loop):
    recipe = recipe_with_rows()  # a draft of someone else's
    stranger = ChefFactory(user__username="node-stranger")
    ws_base = live_server_url.replace("http://", "ws://") + "/ws/recipes"
    node = run(loop, NodeYjsClient.start(ws_base, recipe.pk, session_cookie(stranger.user), live_server_url))
    try:
        closed = run(loop, node.wait_for(lambda e: e.get("event") == "close"))
        assert closed["code"] == 4403
    finally:
        run(loop, node.close())
