"""Co-editing over real sockets of real uvicorn processes, with a Python Yjs client (pycrdt)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from pycrdt import Array, Map, Text

from kitchen.models import Recipe, RecipeDocument, RecipeDocumentUpdate
from kitchen.tests.factories import ChefFactory, IngredientFactory, RecipeFactory, RecipeIngredientFactory, StepFactory
from tests.collab_client import YClient
from tests.helpers import off_the_loop, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def recipe_with_rows(**kwargs):
    recipe = RecipeFactory(name="Tarte tatin", description="Upside down.", status=Recipe.Status.DRAFT, **kwargs)
    apple = IngredientFactory(name="Apple")
    butter = IngredientFactory(name="Butter")
    RecipeIngredientFactory(recipe=recipe, ingredient=apple, quantity=Decimal("6"), unit="piece", position=1)
    RecipeIngredientFactory(recipe=recipe, ingredient=butter, quantity=Decimal("80"), unit="g", position=2)
    StepFactory(recipe=recipe, position=1, text="Peel the apples.")
    StepFactory(recipe=recipe, position=2, text="Caramelise.")
    return recipe


@pytest.fixture
def owner_and_recipe(session_cookie):
    owner = ChefFactory(user__username="collab-owner")
    recipe = recipe_with_rows(owner=owner)
    return owner.user, recipe, session_cookie(owner.user)


def test_first_sync_gives_the_recipe_built_once_from_its_rows(
    live_server_url, second_live_server_url, owner_and_recipe
):
    _, recipe, cookie = owner_and_recipe
    # Given two editors joining at once, on two server processes
    a = YClient(live_server_url, recipe.pk, cookie)
    b = YClient(second_live_server_url, recipe.pk, cookie)
    a.wait_synced()
    b.wait_synced()
    # Then both hold the recipe's content, built from the rows exactly once
    for client in (a, b):
        content = client.content()
        assert content["name"] == "Tarte tatin"
        assert content["description"] == "Upside down."
        assert [(line["ingredient"], line["quantity"], line["unit"]) for line in content["lines"]] == [
            ("Apple", "6", "piece"),
            ("Butter", "80", "g"),
        ]
        assert [step["text"] for step in content["steps"]] == ["Peel the apples.", "Caramelise."]
        assert content["meta"]["servings"] == 4
    assert RecipeDocument.objects.filter(recipe=recipe).count() == 1
    a.close()
    b.close()


def test_concurrent_typing_on_two_processes_converges_and_is_stored(
    live_server_url, second_live_server_url, owner_and_recipe
):
    _, recipe, cookie = owner_and_recipe
    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    b = YClient(second_live_server_url, recipe.pk, cookie).wait_synced()
    # When both type into the name at the same time, without seeing each other first
    name_a = a.doc.get("name", type=Text)
    name_b = b.doc.get("name", type=Text)
    for i in range(5):
        name_a.insert(0, f"A{i}")
        name_b.insert(len(str(name_b).encode()), f"B{i}")
    # Then both end with the same text, holding both chefs' input
    a.wait(lambda: all(f"B{i}" in str(name_a) for i in range(5)), what="B's typing on A")
    b.wait(lambda: all(f"A{i}" in str(name_b) for i in range(5)), what="A's typing on B")
    a.pump()
    b.pump()
    assert str(name_a) == str(name_b)
    assert "Tarte tatin" in str(name_a)
    # And every update was stored before it was sent on
    assert RecipeDocumentUpdate.objects.filter(document__recipe=recipe).count() >= 10
    # And the rows follow once the edits settle
    wait_for(lambda: Recipe.objects.get(pk=recipe.pk).name == str(name_a), timeout=10, what="the write-back")
    a.close()
    b.close()


def test_a_move_and_a_concurrent_edit_of_one_line_both_survive(live_server_url, owner_and_recipe):
    _, recipe, cookie = owner_and_recipe
    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    b = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    first_a = a.doc.get("lines", type=Array)
    # When A moves the first line after the second while B changes its quantity
    line_a = next(item for item in first_a if item["ingredient"] == "Apple")
    last_pos = max(item["pos"] for item in first_a)
    line_b = next(item for item in b.doc.get("lines", type=Array) if item["ingredient"] == "Apple")
    line_a["pos"] = last_pos + "V"
    line_b["quantity"] = "7"
    a.wait(lambda: a.content()["lines"][-1]["quantity"] == "7", what="the edit on A")
    b.wait(lambda: b.content()["lines"][-1]["ingredient"] == "Apple", what="the move on B")
    assert a.content() == b.content()
    assert [line["ingredient"] for line in a.content()["lines"]] == ["Butter", "Apple"]
    a.close()
    b.close()


def test_edits_survive_a_server_restart(owner_and_recipe, django_db_blocker, tmp_path):
    from tests.conftest import start_uvicorn
    from tests.helpers import stack_env

    _, recipe, cookie = owner_and_recipe
    env = stack_env()
    server, base = start_uvicorn(env, tmp_path)
    try:
        a = YClient(base, recipe.pk, cookie).wait_synced()
        b = YClient(base, recipe.pk, cookie).wait_synced()
        a.doc.get("description", type=Text).insert(0, "Seen by B. ")
        b.wait(lambda: b.content()["description"].startswith("Seen by B."), what="the edit on B")
        server.process.kill()  # no goodbye: nothing flushed on the way out
        server.process.wait()
    finally:
        server.stop()
    server, base = start_uvicorn(env, tmp_path)
    try:
        c = YClient(base, recipe.pk, cookie).wait_synced()
        assert c.content()["description"].startswith("Seen by B. Upside down.")
        c.close()
    finally:
        server.stop()


def test_an_api_change_reaches_open_editors_and_keeps_their_edits(live_server_url, owner_and_recipe):
    user, recipe, cookie = owner_and_recipe
    from django.test import Client

    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    a.doc.get("description", type=Text).insert(0, "Chef's note. ")
    a.pump(0.3)

    def patch():
        api = Client()
        api.force_login(user)
        return api.patch(f"/api/recipes/{recipe.pk}", {"name": "Tatin", "servings": 6}, content_type="application/json")

    response = off_the_loop(patch)
    assert response.status_code == 200, response.content
    a.wait(lambda: a.content()["name"] == "Tatin" and a.content()["meta"]["servings"] == 6, what="the API change")
    assert a.content()["description"].startswith("Chef's note. ")
    a.close()


def test_invalid_content_is_not_written_back_and_is_reported(live_server_url, owner_and_recipe):
    _, recipe, cookie = owner_and_recipe
    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    name = a.doc.get("name", type=Text)
    with a.doc.transaction():
        del name[0 : len(str(name).encode())]
        lines = a.doc.get("lines", type=Array)
        butter = next(item for item in lines if item["ingredient"] == "Butter")
        butter["quantity"] = "lots"
        lines.append(
            Map({"id": "new-line", "ingredient": "Unicorn dust", "quantity": "1", "unit": "g", "note": "", "pos": "z"})
        )
        a.doc.get("steps", type=Array)[0]["text"].insert(0, "First, ")

    def written() -> bool:
        return RecipeDocument.objects.get(recipe=recipe).written_seq > 0

    wait_for(written, timeout=10, what="the write-back")
    recipe.refresh_from_db()
    assert recipe.name == "Tarte tatin"  # the empty name was not taken
    assert recipe.steps.order_by("position").first().text == "First, Peel the apples."  # the valid edit was
    butter_row = recipe.recipe_ingredients.get(ingredient__name="Butter")
    assert butter_row.quantity == Decimal("80")
    assert "1 g Unicorn dust" in recipe.unparsed_ingredients
    report = RecipeDocument.objects.get(recipe=recipe).report
    assert "name" in report["invalid"]
    assert any(key.endswith(".quantity") for key in report["invalid"])
    assert "new-line" in report["unknown_ingredients"]
    a.close()


def test_refusals_are_close_codes_the_client_sees(live_server_url, session_cookie):
    from websockets.exceptions import InvalidStatus

    recipe = recipe_with_rows()
    stranger = ChefFactory(user__username="collab-stranger").user
    with pytest.raises(InvalidStatus):  # another site's page, with the owner's cookie
        YClient(live_server_url, recipe.pk, session_cookie(recipe.owner.user), origin="https://evil.example.com")
    assert YClient(live_server_url, recipe.pk, None).wait_closed() == 4401
    assert YClient(live_server_url, recipe.pk, session_cookie(stranger)).wait_closed() == 4403
    assert YClient(live_server_url, 999999999, session_cookie(stranger)).wait_closed() == 4404
    assert YClient(live_server_url, 2**70, session_cookie(stranger)).wait_closed() == 4404


def test_a_reader_syncs_but_cannot_edit(live_server_url, owner_and_recipe, session_cookie):
    _, recipe, cookie = owner_and_recipe
    Recipe.objects.filter(pk=recipe.pk).update(status=Recipe.Status.COMPLETED)  # visible to every chef
    reader = YClient(live_server_url, recipe.pk, session_cookie(ChefFactory().user)).wait_synced()
    editor = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    stored = RecipeDocumentUpdate.objects.filter(document__recipe=recipe).count()
    reader.doc.get("name", type=Text).insert(0, "HACKED ")
    reader.wait(lambda: bool(reader.denied), what="the read-only answer")
    editor.pump(0.5)
    assert "HACKED" not in editor.content()["name"]
    assert RecipeDocumentUpdate.objects.filter(document__recipe=recipe).count() == stored
    # and the reader still receives the editor's changes
    editor.doc.get("name", type=Text).insert(0, "Grand ")
    reader.wait(lambda: "Grand " in reader.content()["name"], what="the editor's change on the reader")
    reader.close()
    editor.close()


def test_deleting_the_recipe_closes_its_editors_with_4404(live_server_url, owner_and_recipe):
    _, recipe, cookie = owner_and_recipe
    from kitchen.services import recipe_delete

    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    recipe_delete(recipe=Recipe.objects.get(pk=recipe.pk))
    assert a.wait_closed() == 4404


def test_removing_a_collaborator_closes_their_sockets(live_server_url, owner_and_recipe, session_cookie):
    _, recipe, _ = owner_and_recipe
    from kitchen.services import recipe_collaborators_set

    helper = ChefFactory()
    recipe.collaborators.add(helper)
    a = YClient(live_server_url, recipe.pk, session_cookie(helper.user)).wait_synced()
    a.doc.get("name", type=Text).insert(0, "Mine ")
    a.pump(0.3)
    recipe_collaborators_set(recipe=Recipe.objects.get(pk=recipe.pk), collaborators=[])
    assert a.wait_closed() == 4403
    # and so does clearing the list (the admin's way), and taking the recipe off the chef's side
    for take_off in (lambda: recipe.collaborators.clear(), lambda: helper.shared_recipes.remove(recipe)):
        recipe.collaborators.add(helper)
        b = YClient(live_server_url, recipe.pk, session_cookie(helper.user)).wait_synced()
        take_off()
        assert b.wait_closed() == 4403


def test_presence_carries_the_session_user_and_goes_when_the_socket_closes(
    live_server_url, owner_and_recipe, session_cookie
):
    _, recipe, cookie = owner_and_recipe
    other = ChefFactory(user__username="collab-other")
    recipe.collaborators.add(other)
    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    b = YClient(live_server_url, recipe.pk, session_cookie(other.user)).wait_synced()
    b.set_presence({"cursor": 3, "user": {"name": "I am the owner", "color": "javascript:"}})
    a.wait(lambda: b.client_id in a.awareness, what="B's presence")
    assert a.awareness[b.client_id]["user"]["name"] == "collab-other"
    assert a.awareness[b.client_id]["cursor"] == 3
    # B may not speak for A, whose entry the server holds (y-websocket sends it on open)
    a.set_presence({"cursor": 1})
    a.wait(lambda: a.client_id in a.awareness, what="A's own entry echoed")
    b.set_presence({"cursor": 99}, client_id=a.client_id, clock=50)
    a.pump(0.5)
    assert a.awareness[a.client_id]["cursor"] == 1
    assert a.awareness[a.client_id]["user"]["name"] == "collab-owner"
    b.close()
    a.wait(lambda: b.client_id not in a.awareness, timeout=5, what="B's presence to go")
    a.close()


def test_bad_frames_are_refused_and_repeated_abuse_closes_the_socket(live_server_url, owner_and_recipe, caplog):
    _, recipe, cookie = owner_and_recipe
    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    b = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    before = b.content()
    stored = RecipeDocumentUpdate.objects.filter(document__recipe=recipe).count()
    evil_root = __import__("pycrdt").Doc()
    evil_root["evil"] = Text("x")
    nested = __import__("pycrdt").Doc()
    nested["lines"] = Array([Map({"id": "x", "ingredient": Map({"a": 1}), "pos": "a"})])
    bad = [
        b"\x00",
        b"\x00\x01",
        b"\x00\x02\x05ab",
        b"\x00\x02\x01\x00\x00",  # trailing bytes
        b"\x07",
        b"\x00\x02\x04\xff\xff\xff\xff",  # an update that does not decode
        b"\x00\x02" + bytes([len(evil_root.get_update())]) + evil_root.get_update(),
        b"\x00\x02" + bytes([len(nested.get_update())]) + nested.get_update(),
        b"\x01\x03\x01\x01\x01",  # truncated awareness
    ]
    for frame in bad:
        a.send(frame)
    a.pump(0.5)
    assert a.close_code is None  # each one refused, the socket still open
    b.pump(0.5)
    assert b.content() == before
    assert RecipeDocumentUpdate.objects.filter(document__recipe=recipe).count() == stored
    # the document still works after the refusals
    b.doc.get("name", type=Text).insert(0, "Still ")
    a.wait(lambda: a.content()["name"].startswith("Still "), what="a good update after the bad ones")
    for _ in range(12):
        a.send(b"\x07")
    assert a.wait_closed() == 4400
    b.close()


def test_a_frame_over_one_mebibyte_closes_the_socket(live_server_url, owner_and_recipe):
    _, recipe, cookie = owner_and_recipe
    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    a.send(b"\x00\x02" + b"\x80" * (1024 * 1024))
    assert a.wait_closed() in (4413, 1009)


def test_a_flood_closes_the_socket(live_server_url, owner_and_recipe):
    _, recipe, cookie = owner_and_recipe
    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    for _ in range(500):
        a.send(b"\x00\x02\x02\x00\x00")  # an empty update: cheap, but a frame all the same
        if a.close_code is not None:
            break
    assert a.wait_closed() == 4429


def test_a_reader_who_keeps_sending_updates_is_closed(live_server_url, owner_and_recipe, session_cookie):
    _, recipe, _ = owner_and_recipe
    Recipe.objects.filter(pk=recipe.pk).update(status=Recipe.Status.COMPLETED)
    reader = YClient(live_server_url, recipe.pk, session_cookie(ChefFactory().user)).wait_synced()
    name = reader.doc.get("name", type=Text)
    for i in range(12):
        name.insert(0, f"{i}")
        reader.pump(0.02)
    assert reader.wait_closed() == 4400


def test_odd_presence_text_cannot_break_the_room(live_server_url, owner_and_recipe):
    _, recipe, cookie = owner_and_recipe
    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    a.set_presence({"name": "\ud800 lone surrogate", "emoji": "🍎"})
    a.wait(lambda: a.client_id in a.awareness, what="the presence echo")
    b = YClient(live_server_url, recipe.pk, cookie).wait_synced()  # joining still works
    b.wait(lambda: a.client_id in b.awareness, what="A's presence on B")
    assert b.awareness[a.client_id]["emoji"] == "🍎"
    a.close()
    b.close()


def test_one_chef_may_open_a_recipe_in_eight_sockets_per_server(live_server_url, owner_and_recipe):
    _, recipe, cookie = owner_and_recipe
    clients = [YClient(live_server_url, recipe.pk, cookie).wait_synced() for _ in range(8)]
    assert YClient(live_server_url, recipe.pk, cookie).wait_closed() == 4429
    for client in clients:
        client.close()


def test_a_late_joiner_receives_about_the_document_not_its_history(live_server_url, owner_and_recipe):
    _, recipe, cookie = owner_and_recipe
    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    text = a.doc.get("description", type=Text)
    for i in range(530):  # more than two compactions' worth (every 200 here), at a typist's pace
        text.insert(0, f"{i % 10}")
        if i % 50 == 0:
            del text[0:1]
        a.pump(0.018)
    a.wait(lambda: RecipeDocument.objects.get(recipe=recipe).last_seq >= 530, what="every update stored")
    time.sleep(0.5)
    late = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    late.pump(0.3)
    assert late.content() == a.content()
    size = len(late.doc.get_update())
    assert late.received_sync_bytes <= 1.2 * size + 64, (late.received_sync_bytes, size)
    assert RecipeDocument.objects.get(recipe=recipe).snapshot_seq >= 400  # the log was folded into the snapshot
    a.close()
    late.close()


def test_two_processes_converge_through_redis_and_after_it_restarts(owner_and_recipe, session_cookie, tmp_path):
    from tests.conftest import start_uvicorn
    from tests.helpers import PrivateRedis, stack_env

    _, recipe, cookie = owner_and_recipe
    other = ChefFactory(user__username="collab-second")
    recipe.collaborators.add(other)
    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    env = {**stack_env(), "REDIS_URL": redis_server.url}
    one, base_one = start_uvicorn(env, tmp_path)
    two, base_two = start_uvicorn(env, tmp_path)
    try:
        a = YClient(base_one, recipe.pk, cookie).wait_synced()
        b = YClient(base_two, recipe.pk, session_cookie(other.user)).wait_synced()
        a.set_presence({"cursor": 1})
        b.wait(lambda: a.client_id in b.awareness, what="A's presence on the other process")
        name_a, name_b = a.doc.get("name", type=Text), b.doc.get("name", type=Text)
        name_a.insert(0, "A1 ")
        name_b.insert(0, "B1 ")
        a.wait(lambda: "B1 " in str(name_a), what="B's edit through Redis")
        b.wait(lambda: "A1 " in str(name_b), what="A's edit through Redis")

        # When Redis dies, edits on both processes still reach the other (from the stored log)
        redis_server.kill()
        time.sleep(0.5)
        name_a.insert(0, "A2 ")
        name_b.insert(0, "B2 ")
        a.wait(lambda: "B2 " in str(name_a), timeout=15, what="B's edit while Redis is down")
        b.wait(lambda: "A2 " in str(name_b), timeout=15, what="A's edit while Redis is down")

        # And once it is back, live delivery and presence resume
        redis_server.start()
        time.sleep(3)
        name_a.insert(0, "A3 ")
        b.wait(lambda: "A3 " in str(name_b), timeout=15, what="A's edit after Redis came back")
        name_b.insert(0, "B3 ")
        a.wait(lambda: "B3 " in str(name_a), timeout=15, what="B's edit after Redis came back")
        a.pump(0.5)
        b.pump(0.5)
        assert str(name_a) == str(name_b)
        assert a.content() == b.content()
        b.set_presence({"cursor": 2})
        a.wait(lambda: a.awareness.get(b.client_id, {}).get("cursor") == 2, timeout=15, what="presence after")
        a.close()
        b.close()
    finally:
        one.stop()
        two.stop()
        redis_server.kill()


def test_completion_and_cost_reach_open_editors(live_server_url, owner_and_recipe):
    import json

    from websockets.sync.client import connect

    user, recipe, cookie = owner_and_recipe
    from django.test import Client

    a = YClient(live_server_url, recipe.pk, cookie).wait_synced()
    live = connect(
        live_server_url.replace("http://", "ws://") + f"/ws/recipes/{recipe.pk}/live/",
        origin=live_server_url,
        additional_headers={"Cookie": f"sessionid={cookie}"},
        open_timeout=10,
    )

    def next_event(kind: str) -> dict:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            event = json.loads(live.recv(timeout=deadline - time.monotonic()))
            if event.get("type") == kind:
                return event
        raise AssertionError(f"no {kind} event")

    first_cost = next_event("cost")
    # When an editor changes a quantity, the cost moves after the write-back
    butter = next(item for item in a.doc.get("lines", type=Array) if item["ingredient"] == "Butter")
    butter["quantity"] = "160"  # g, of butter at 2.50 a kg
    cost = next_event("cost")
    assert (first_cost["total"], cost["total"]) == ("0.20", "0.40")
    report = next_event("document_report")
    assert report["invalid"] == {}

    # When the owner marks it completed with the page's button, every editor sees the status
    def complete():
        web = Client()
        web.force_login(user)
        return web.post(f"/recipes/{recipe.pk}/complete/")

    response = off_the_loop(complete)
    assert response.status_code in (200, 302)
    a.wait(lambda: a.content()["meta"]["status"] == "completed", what="the completed status")
    from kitchen.models import RecipeCompletion

    assert RecipeCompletion.objects.filter(recipe=recipe).count() == 1
    live.close()
    a.close()
