"""The co-editing server's parts without sockets: the wire codec, the document's shape, storage."""

from __future__ import annotations

import contextlib
import threading
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, Text

from kitchen.collab import frames, schema, store
from kitchen.models import Recipe, RecipeCompletion, RecipeDocument, RecipeDocumentUpdate, RecipeVersion
from kitchen.services import LineInput, recipe_update
from kitchen.tests.factories import ChefFactory, IngredientFactory, RecipeFactory, RecipeIngredientFactory, StepFactory

# -- the wire format ------------------------------------------------------------------------------


def test_frames_round_trip():
    assert frames.parse(frames.sync(frames.STEP1, b"\x00")) == frames.Sync(frames.STEP1, b"\x00")
    big = b"x" * 300
    assert frames.parse(frames.sync(frames.UPDATE, big)) == frames.Sync(frames.UPDATE, big)
    entries = [(2**53 - 1, 7, '{"a":"é"}'), (1, 0, "null")]
    message = frames.parse(frames.awareness(entries))
    assert isinstance(message, frames.Awareness)
    assert frames.awareness_entries(message.payload) == entries


@pytest.mark.parametrize(
    ("frame", "kind"),
    [
        (b"", "truncated"),
        (b"\x00", "truncated"),
        (b"\x00\x01", "truncated"),
        (b"\x00\x02\x05ab", "truncated"),
        (b"\x00\x02\x01\x00\x00", "trailing_bytes"),
        (b"\x00\x09\x00", "unknown_sync_message"),
        (b"\x07", "unknown_message_type"),
        (b"\xff" * 9, "number_too_large"),
        (b"\x00\x02\xff\xff\xff\xff\xff\xff\xff\x7f", "number_too_large"),  # a length past 2**53
    ],
)
def test_malformed_frames_are_named(frame, kind):
    with pytest.raises(frames.Malformed) as error:
        frames.parse(frame)
    assert error.value.kind == kind


@given(st.binary(max_size=64))
@settings(max_examples=500, deadline=None)
def test_any_bytes_parse_or_raise_malformed(data):
    try:
        message = frames.parse(data)
    except frames.Malformed:
        return
    if isinstance(message, frames.Awareness):
        with contextlib.suppress(frames.Malformed):
            frames.awareness_entries(message.payload)


def test_bad_awareness_payloads():
    with pytest.raises(frames.Malformed):
        frames.awareness_entries(b"\x01\x01\x01\x05ab")  # string longer than the payload
    with pytest.raises(frames.Malformed):
        frames.awareness_entries(b"\x01\x01\x01\x02\xff\xfe")  # not UTF-8
    with pytest.raises(frames.Malformed):
        frames.awareness_entries(frames.uint(17) + b"\x01\x01\x00" * 17)  # too many entries


def test_remote_frames_round_trip():
    origin = b"12345678"
    remote = frames.parse_remote(frames.remote_update(3, 9, b"\x01\x02", origin))
    assert (remote.kind, remote.origin, remote.first, remote.last) == ("U", origin, 3, 9)
    assert frames.parse(remote.message) == frames.Sync(frames.UPDATE, b"\x01\x02")
    assert frames.parse_remote(frames.remote_control(b'{"deleted":true}')).message == b'{"deleted":true}'


# -- the document's shape -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Crème brûlée", "Crème brûlée!"),
        ("Crème brûlée", "Crèmes brûlées"),
        ("Tarte 🍎 tatin", "Tarte 🍏 tatin"),
        ("😀😀😀", "😀x😀"),
        ("abc", ""),
        ("", "é🍎"),
    ],
)
def test_text_replace_uses_characters_not_bytes(old, new):
    doc = schema.new_doc()
    text = doc.get("name", type=Text)
    text.insert(0, old)
    schema.text_replace(text, new)
    assert str(text) == new


def test_text_replace_keeps_a_concurrent_edit_elsewhere_in_the_field():
    a = schema.new_doc()
    a.get("name", type=Text).insert(0, "Tarte tatin")
    b = schema.new_doc()
    b.apply_update(a.get_update())
    b.get("name", type=Text).insert(0, "Grande ")  # a chef typing
    schema.text_replace(a.get("name", type=Text), "Tarte Tatin")  # the API, meanwhile
    a.apply_update(b.get_update())
    b.apply_update(a.get_update())
    assert str(a.get("name", type=Text)) == str(b.get("name", type=Text)) == "Grande Tarte Tatin"


def content(**overrides) -> schema.Content:
    base = schema.Content(
        name="Soup",
        description="",
        meta={"servings": 2, "prep_time": 10, "difficulty": "easy", "status": "draft", "categories": [3, 1]},
        lines=[
            schema.LineContent(id="l1", ingredient="Leek", quantity="2", unit="piece", note="", pos="a0"),
            schema.LineContent(id="l2", ingredient="Water", quantity="1.5", unit="l", note="cold", pos="a1"),
        ],
        steps=[schema.StepContent(id="s1", text="Boil.", pos="a0")],
    )
    base.update(overrides)  # type: ignore[typeddict-item]
    return base


def test_fill_then_read_gives_the_content_back_in_order():
    doc = schema.new_doc()
    written = content()
    schema.fill(doc, written)
    read = schema.read(doc)
    assert read["meta"]["categories"] == [1, 3]
    assert read["lines"] == written["lines"]
    assert read["steps"] == written["steps"]
    # order is by position alone
    doc.get("lines", type=Array)[0]["pos"] = "a2"
    assert [line["id"] for line in schema.read(doc)["lines"]] == ["l2", "l1"]


def test_read_turns_odd_client_values_into_text():
    doc = schema.new_doc()
    schema.fill(doc, content())
    line = doc.get("lines", type=Array)[0]
    line["quantity"] = 2.0  # a JavaScript number
    doc.get("meta", type=Map)["servings"] = 4.0
    doc.get("lines", type=Array).append("not a map")
    read = schema.read(doc)
    assert read["lines"][0]["quantity"] == "2"
    assert read["meta"]["servings"] == 4
    assert len(read["lines"]) == 2


def test_apply_content_touches_only_what_differs():
    a = schema.new_doc()
    schema.fill(a, content())
    b = Doc()
    b.apply_update(a.get_update())
    schema.declare_roots(b)
    # a chef edits line 2's note while the rows change line 1's quantity and drop the step
    b.get("lines", type=Array)[1]["note"] = "very cold"
    target = content()
    target["lines"][0]["quantity"] = "3"
    target["steps"] = []
    with a.transaction():
        schema.apply_content(a, target, parts=("lines", "steps"))
    a.apply_update(b.get_update())
    lines = schema.read(a)["lines"]
    assert [line["quantity"] for line in lines] == ["3", "1.5"]
    assert lines[1]["note"] == "very cold"
    assert schema.read(a)["steps"] == []


# -- storage --------------------------------------------------------------------------------------


def a_recipe() -> Recipe:
    recipe = RecipeFactory(name="Leek soup", status=Recipe.Status.DRAFT)
    RecipeIngredientFactory(recipe=recipe, ingredient=IngredientFactory(name="Leek"), quantity=Decimal("2.500"))
    StepFactory(recipe=recipe, position=1, text="Boil.")
    return recipe


@pytest.mark.django_db
def test_the_document_is_built_from_the_rows_once():
    recipe = a_recipe()
    first = store.document_get_or_build(recipe_id=recipe.pk)
    again = store.document_get_or_build(recipe_id=recipe.pk)
    assert first is not None
    assert again is not None
    assert first.pk == again.pk
    doc = store.document_stored(recipe_id=recipe.pk).doc()
    read = schema.read(doc)
    assert read["name"] == "Leek soup"
    assert [(line["ingredient"], line["quantity"]) for line in read["lines"]] == [("Leek", "2.5")]
    line_row = recipe.recipe_ingredients.get()
    assert read["lines"][0]["id"] == str(line_row.doc_id)
    assert store.document_get_or_build(recipe_id=10**9) is None


@pytest.mark.django_db(transaction=True)
def test_two_builders_at_once_make_one_document():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers on the file lock: the race needs PostgreSQL (CI's second pass)")
    recipe = a_recipe()
    barrier = threading.Barrier(2)
    results = []

    def build() -> None:
        barrier.wait()
        try:
            document = store.document_get_or_build(recipe_id=recipe.pk)
            results.append(document.pk if document else None)
        finally:
            connection.close()

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert results[0] is not None
    assert RecipeDocument.objects.filter(recipe=recipe).count() == 1
    assert len(schema.read(store.document_stored(recipe_id=recipe.pk).doc())["lines"]) == 1


def edit(recipe_id: int, change) -> list[bytes]:
    """Apply `change` to the stored document as a client would; returns the updates it made."""
    doc = store.document_stored(recipe_id=recipe_id).doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    with doc.transaction():
        change(doc)
    return updates


@pytest.mark.django_db
def test_appends_get_consecutive_seqs_and_compaction_keeps_the_content():
    recipe = a_recipe()
    store.document_get_or_build(recipe_id=recipe.pk)
    for i in range(5):
        updates = edit(recipe.pk, lambda doc, i=i: doc.get("name", type=Text).insert(0, f"{i}"))
        assert store.document_append(recipe_id=recipe.pk, updates=[(u, None) for u in updates]) == (i + 1, i + 1)
    before = schema.read(store.document_stored(recipe_id=recipe.pk).doc())
    assert store.document_compact(recipe_id=recipe.pk) == 5
    assert RecipeDocumentUpdate.objects.filter(document__recipe=recipe).count() == 0
    stored = store.document_stored(recipe_id=recipe.pk)
    assert (stored.snapshot_seq, stored.last_seq) == (5, 5)
    assert schema.read(stored.doc()) == before
    assert before["name"] == "43210Leek soup"
    # a process that had seen up to 3 reads only what it lacks (the snapshot, here: the log was folded)
    assert store.document_stored(recipe_id=recipe.pk, after=5).updates == []


@pytest.mark.django_db
def test_write_back_takes_valid_content_and_reports_the_rest():
    recipe = a_recipe()
    IngredientFactory(name="Salt")
    store.document_get_or_build(recipe_id=recipe.pk)

    def change(doc):
        meta = doc.get("meta", type=Map)
        meta["servings"] = 6
        meta["prep_time"] = -5
        lines = doc.get("lines", type=Array)
        lines.append(Map({"id": "salt", "ingredient": "salt", "quantity": "0,5", "unit": "g", "note": "", "pos": "b"}))
        lines.append(
            Map({"id": "ghost", "ingredient": "Ghost pepper", "quantity": "1", "unit": "g", "note": "", "pos": "c"})
        )
        lines[0]["quantity"] = "NaN"

    store.document_append(recipe_id=recipe.pk, updates=[(u, None) for u in edit(recipe.pk, change)])
    result = store.document_write_back(recipe_id=recipe.pk)
    assert result is not None
    assert result.written
    recipe.refresh_from_db()
    assert recipe.servings == 6
    assert recipe.prep_time == 30  # -5 refused: the last valid value stays
    rows = list(recipe.recipe_ingredients.order_by("position").values_list("ingredient__name", "quantity"))
    assert rows == [("Leek", Decimal("2.500")), ("Salt", Decimal("0.500"))]
    assert recipe.unparsed_ingredients == ["1 g Ghost pepper"]
    assert set(result.report["invalid"]) == {
        "meta.prep_time",
        f"line:{rows and recipe.recipe_ingredients.first().doc_id}.quantity",
    }
    assert result.report["unknown_ingredients"] == ["ghost"]
    # a second write-back of the same state writes nothing
    assert not store.document_write_back(recipe_id=recipe.pk).written


@pytest.mark.django_db
def test_a_change_of_the_rows_reaches_the_document_and_a_draft_completed_in_it_is_recorded(
    django_capture_on_commit_callbacks,
):
    recipe = a_recipe()
    store.document_get_or_build(recipe_id=recipe.pk)
    recipe_update(recipe=recipe, fields={"name": "Leek and potato soup"})
    read = schema.read(store.document_stored(recipe_id=recipe.pk).doc())
    assert read["name"] == "Leek and potato soup"
    assert RecipeDocument.objects.get(recipe=recipe).written_seq == RecipeDocument.objects.get(recipe=recipe).last_seq
    # lines replaced by a form keep their document ids by position
    old_id = str(recipe.recipe_ingredients.get().doc_id)
    recipe_update(
        recipe=recipe,
        fields={},
        lines=[LineInput(ingredient=IngredientFactory(name="Potato"), quantity=Decimal(3), unit="piece")],
    )
    lines = schema.read(store.document_stored(recipe_id=recipe.pk).doc())["lines"]
    assert [(line["id"], line["ingredient"]) for line in lines] == [(old_id, "Potato")]
    # an editor marks it completed in the document: the write-back goes through the one service
    user = ChefFactory().user
    updates = edit(recipe.pk, lambda doc: doc.get("meta", type=Map).__setitem__("status", "completed"))
    store.document_append(recipe_id=recipe.pk, updates=[(u, user.pk) for u in updates])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        store.document_write_back(recipe_id=recipe.pk)
    assert RecipeCompletion.objects.filter(recipe=recipe, by=user).count() == 1
    assert callbacks  # the notification and the live events leave after commit


@pytest.mark.django_db
def test_versions_are_kept_with_their_authors_at_most_every_ten_minutes():
    recipe = a_recipe()
    store.document_get_or_build(recipe_id=recipe.pk)
    user = ChefFactory().user
    updates = edit(recipe.pk, lambda doc: doc.get("name", type=Text).insert(0, "Hot "))
    store.document_append(recipe_id=recipe.pk, updates=[(u, user.pk) for u in updates])
    version = store.version_save_if_due(recipe_id=recipe.pk)
    assert version is not None
    assert list(version.authors.all()) == [user]
    assert version.content["name"] == "Hot Leek soup"
    updates = edit(recipe.pk, lambda doc: doc.get("name", type=Text).insert(0, "Very "))
    store.document_append(recipe_id=recipe.pk, updates=[(u, None) for u in updates])
    assert store.version_save_if_due(recipe_id=recipe.pk) is None  # too soon
    assert RecipeVersion.objects.filter(recipe=recipe).count() == 1


@pytest.mark.django_db
def test_the_sweep_writes_back_quiet_documents(settings):
    from kitchen.tasks import write_back_documents

    recipe = a_recipe()
    store.document_get_or_build(recipe_id=recipe.pk)
    updates = edit(recipe.pk, lambda doc: doc.get("name", type=Text).insert(0, "Cold "))
    store.document_append(recipe_id=recipe.pk, updates=[(u, None) for u in updates])
    write_back_documents()
    assert Recipe.objects.get(pk=recipe.pk).name == "Leek soup"  # edited just now: its room writes it back
    RecipeDocumentUpdate.objects.filter(document__recipe=recipe).update(created_at="2020-01-01T00:00:00Z")
    write_back_documents()
    assert Recipe.objects.get(pk=recipe.pk).name == "Cold Leek soup"


@pytest.mark.django_db
def test_the_sweep_is_on_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="write-back-documents")
    assert task.task == "kitchen.tasks.write_back_documents"
    assert task.interval.every == 60
    assert task.expire_seconds == 60


# -- the room's checks of a client's update ------------------------------------------------------


class FakePeer:
    user_id = 1

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def put(self, frame: bytes) -> None:
        self.sent.append(frame)


def foreign_update(build) -> bytes:
    doc = Doc()
    build(doc)
    return doc.get_update()


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (lambda d: d.__setitem__("evil", Text("x")), "unknown_root"),
        (lambda d: d.__setitem__("lines", Array(["a string"])), "bad_line"),
        (lambda d: d.__setitem__("lines", Array([Map({"id": "x", "ingredient": Map({"a": 1})})])), "bad_line"),
        (lambda d: d.__setitem__("steps", Array([Map({"id": "x", "pos": Text("a")})])), "bad_step"),
        (lambda d: d.__setitem__("meta", Map({"servings": Array([1])})), "bad_meta"),
        (lambda d: d.__setitem__("meta", Map({"categories": Text("1")})), "bad_meta"),
        (lambda d: d.__setitem__("lines", Array([Map({"id": str(i)}) for i in range(501)])), "too_many_items"),
    ],
)
async def test_the_room_refuses_updates_that_break_the_documents_shape(build, kind):
    from kitchen.collab.room import Refused, Room

    room = Room(1, lambda room: None)
    with pytest.raises(Refused) as refused:
        room._apply_client(foreign_update(build), FakePeer())
    assert refused.value.kind == kind
    assert refused.value.rebuild  # it reached the document: the room reloads from storage


async def test_the_room_takes_a_well_formed_update_and_returns_its_own_encoding():
    from kitchen.collab.room import Room

    room = Room(1, lambda room: None)
    client = schema.new_doc()
    client.apply_update(room.doc.get_update())
    updates: list[bytes] = []
    client.observe(lambda event: updates.append(event.update))
    client.get("lines", type=Array).append(Map({"id": "l", "ingredient": "Salt", "quantity": "1", "pos": "a0"}))
    changes = room._apply_client(updates[0], FakePeer())
    assert len(changes) == 1
    assert schema.read(room.doc)["lines"][0]["ingredient"] == "Salt"
    assert room._apply_client(updates[0], FakePeer()) == []  # a repeat changes nothing


async def test_an_update_that_does_not_decode_never_touches_the_document():
    from kitchen.collab.room import Refused, Room

    room = Room(1, lambda room: None)
    before = room.doc.get_update()
    with pytest.raises(Refused) as refused:
        room._apply_client(b"\x05\xff\xff\x00", FakePeer())
    assert refused.value.kind == "undecodable_update"
    assert not refused.value.rebuild
    assert room.doc.get_update() == before


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_stores_in_order_with_users():
    # (on PostgreSQL this is the one-statement path every live edit takes)
    recipe = a_recipe()
    user = ChefFactory().user
    store.document_get_or_build(recipe_id=recipe.pk)
    assert store.document_append(recipe_id=recipe.pk, updates=[(b"\x00\x00", user.pk), (b"\x00\x01", None)]) == (1, 2)
    assert store.document_append(recipe_id=recipe.pk, updates=[(b"\x00\x02", None)]) == (3, 3)
    rows = list(RecipeDocumentUpdate.objects.filter(document__recipe=recipe).values_list("seq", "update", "user_id"))
    assert [(seq, bytes(update), user_id) for seq, update, user_id in rows] == [
        (1, b"\x00\x00", user.pk),
        (2, b"\x00\x01", None),
        (3, b"\x00\x02", None),
    ]
    assert RecipeDocument.objects.get(recipe=recipe).last_seq == 3
    with pytest.raises(RecipeDocument.DoesNotExist):
        store.document_append(recipe_id=10**9, updates=[(b"\x00\x00", None)])


@pytest.mark.django_db
def test_a_change_elsewhere_keeps_what_editors_typed_and_has_not_been_written_back():
    from kitchen.services import recipe_complete

    recipe = a_recipe()
    store.document_get_or_build(recipe_id=recipe.pk)

    def typing(doc):
        doc.get("meta", type=Map)["servings"] = 6
        lines = doc.get("lines", type=Array)
        lines[0]["quantity"] = "3"
        lines.append(Map({"id": "new", "ingredient": "Salt", "quantity": "1", "unit": "g", "note": "", "pos": "b"}))
        doc.get("description", type=Text).insert(0, "Thick.")

    store.document_append(recipe_id=recipe.pk, updates=[(u, None) for u in edit(recipe.pk, typing)])
    # When someone marks it completed before the write-back ran
    recipe_complete(recipe=Recipe.objects.get(pk=recipe.pk), by=None)
    content = schema.read(store.document_stored(recipe_id=recipe.pk).doc())
    # Then the document takes the completion and keeps every unwritten edit
    assert content["meta"]["status"] == "completed"
    assert content["meta"]["servings"] == 6
    assert [(line["ingredient"], line["quantity"]) for line in content["lines"]] == [("Leek", "3"), ("Salt", "1")]
    assert content["description"] == "Thick."
    # And a later change of a line in the rows changes only that line's changed field
    recipe = Recipe.objects.get(pk=recipe.pk)
    row = recipe.recipe_ingredients.get()
    recipe_update(
        recipe=recipe,
        fields={},
        lines=[LineInput(ingredient=row.ingredient, quantity=row.quantity, unit="kg", note=row.note)],
    )
    content = schema.read(store.document_stored(recipe_id=recipe.pk).doc())
    assert [(line["quantity"], line["unit"]) for line in content["lines"]] == [("3", "kg"), ("1", "g")]


async def test_an_update_that_depends_on_content_the_server_lacks_is_dropped_and_resynced():
    from kitchen.collab.room import Refused, Room

    room = Room(1, lambda room: None)
    client = schema.new_doc()
    updates: list[bytes] = []
    client.observe(lambda event: updates.append(event.update))
    client.get("name", type=Text).insert(0, "Soup")
    client.get("name", type=Text).insert(4, " of the day")
    peer = FakePeer()
    before = room.doc.get_update()
    with pytest.raises(Refused) as refused:
        room._apply_client(updates[1], peer)  # the second without the first
    assert refused.value.kind == "depends_on_missing"
    assert refused.value.rebuild  # the pending part is dropped with the document it is held in
    assert peer.sent == [frames.sync(frames.STEP1, room.doc.get_state())]
    assert room.doc.get_update() == before


async def test_a_socket_may_bring_in_only_a_few_client_ids():
    from kitchen.collab.room import MAX_NEW_CLIENTS, Refused, Room

    room = Room(1, lambda room: None)
    peer = FakePeer()
    for i in range(MAX_NEW_CLIENTS):
        client = schema.new_doc(client_id=1000 + i)
        client.apply_update(room.doc.get_update())
        updates: list[bytes] = []
        client.observe(lambda event, updates=updates: updates.append(event.update))
        client.get("name", type=Text).insert(0, "x")
        assert room._apply_client(updates[0], peer)
    client = schema.new_doc(client_id=2000)
    client.apply_update(room.doc.get_update())
    updates = []
    client.observe(lambda event: updates.append(event.update))
    client.get("name", type=Text).insert(0, "y")
    with pytest.raises(Refused) as refused:
        room._apply_client(updates[0], peer)
    assert refused.value.kind == "too_many_clients"
    assert room._apply_client(updates[0], FakePeer())  # another socket (another page) may


async def test_the_room_compacts_after_many_updates_or_many_bytes(monkeypatch, settings):
    import asyncio

    from kitchen.collab import room as room_module

    compactions: list[int] = []
    monkeypatch.setattr(
        room_module.store, "document_compact", lambda *, recipe_id: compactions.append(recipe_id) or 100
    )
    monkeypatch.setattr(room_module, "write_back", lambda *, recipe_id: None)

    def no_database(function):  # the fakes touch no database: no thread, no connection handling
        async def call(**kwargs):
            return function(**kwargs)

        return call

    monkeypatch.setattr(room_module, "database_call", no_database)
    settings.COLLAB_COMPACT_EVERY = 100
    room = room_module.Room(7, lambda room: None)
    room._stored(99, 1000)  # few and small: not yet
    await asyncio.sleep(0.05)
    assert compactions == []
    room._stored(100, 1000)  # the hundredth update
    await asyncio.sleep(0.05)
    assert compactions == [7]
    room._stored(101, room_module.COMPACT_BYTES)  # one update since the snapshot at 100, but a big one
    await asyncio.sleep(0.05)
    assert compactions == [7, 7]
    room._writer.cancel()
