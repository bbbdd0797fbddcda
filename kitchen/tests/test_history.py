"""A recipe's version history: the diffs a chef reads, the page, saving and restoring a version."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from pycrdt import Array, Map, Text

from kitchen.collab import frames, schema, store
from kitchen.collab.history import ItemChange, TextPart, content_diff, recipe_history, text_diff
from kitchen.models import Recipe, RecipeDocument, RecipeVersion
from kitchen.tests.factories import (
    ChefFactory,
    IngredientFactory,
    RecipeFactory,
    RecipeIngredientFactory,
    StepFactory,
)

# -- reading a diff -------------------------------------------------------------------------------


class TestTextDiff:
    def test_equal_texts_have_no_diff(self):
        assert text_diff("Leek soup", "Leek soup") == ()

    def test_words_are_compared_not_characters(self):
        assert text_diff("Boil the leeks.", "Fry the leeks gently.") == (
            TextPart("removed", "Boil"),
            TextPart("added", "Fry"),
            TextPart("same", " the leeks"),
            TextPart("added", " gently"),
            TextPart("same", "."),
        )

    def test_accented_words_and_emoji_stay_whole(self):
        assert text_diff("Crème brûlée 🍮", "Crème caramel 🍮") == (
            TextPart("same", "Crème "),
            TextPart("removed", "brûlée"),
            TextPart("added", "caramel"),
            TextPart("same", " 🍮"),
        )

    def test_long_unchanged_text_is_shortened_around_the_change(self):
        before = "a " * 500 + "salt" + " b" * 500
        parts = text_diff(before, before.replace("salt", "pepper"), context=20)
        assert [part.kind for part in parts] == ["gap", "same", "removed", "added", "same", "gap"]
        assert parts[1].text == "a " * 10
        assert parts[4].text == " b" * 10

    def test_changes_far_apart_in_a_long_description_are_each_shown(self):
        sentences = [f"Step {n} of the method, stir well." for n in range(200)]
        after = list(sentences)
        after[10] = "Step 10 of the method, stir gently."
        after[190] = "Step 190 of the method, then rest."
        parts = text_diff(" ".join(sentences), " ".join(after))
        changed = [(part.kind, part.text) for part in parts if part.kind in ("removed", "added")]
        assert changed == [
            ("removed", "well"),
            ("added", "gently"),
            ("removed", "stir"),
            ("added", "then"),
            ("removed", "well"),
            ("added", "rest"),
        ]

    def test_a_long_text_rewritten_whole_reads_as_removed_then_added(self):
        before, after = " ".join(["old"] * 600), " ".join(["new"] * 600)
        parts = text_diff(before, after, context=20)
        assert [part.kind for part in parts] == ["removed", "added"]
        assert (parts[0].text, parts[1].text) == (before, after)


def a_content(**overrides) -> schema.Content:
    content = schema.Content(
        name="Leek soup",
        description="Simple.",
        meta={"servings": 4, "prep_time": 30, "difficulty": "easy", "status": "draft", "categories": [1]},
        lines=[
            schema.LineContent(id="leek", ingredient="Leek", quantity="2", unit="piece", note="", pos="a0"),
            schema.LineContent(id="salt", ingredient="Salt", quantity="5", unit="g", note="", pos="a1"),
            schema.LineContent(id="stock", ingredient="Stock", quantity="1", unit="l", note="", pos="a2"),
        ],
        steps=[
            schema.StepContent(id="s1", text="Chop the leeks.", pos="a0"),
            schema.StepContent(id="s2", text="Simmer.", pos="a1"),
        ],
    )
    content.update(overrides)  # type: ignore[typeddict-item]
    return content


class TestContentDiff:
    def test_the_same_content_is_unchanged(self):
        assert content_diff(before=a_content(), after=a_content(), category_names={}).unchanged

    def test_meta_changes_read_as_a_chef_names_them(self):
        before = a_content()
        after = a_content(meta={**before["meta"], "servings": 6, "difficulty": "hard", "categories": [1, 2]})
        diff = content_diff(before=before, after=after, category_names={1: "Soups", 2: "Winter"})
        assert [(c.label, c.before, c.after) for c in diff.meta] == [
            ("Servings", "4", "6"),
            ("Difficulty", "Easy", "Hard"),
            ("Categories", "Soups", "Soups, Winter"),
        ]
        assert not diff.name
        assert not diff.lines

    def test_lines_are_matched_by_id_added_removed_changed_and_moved(self):
        water = schema.LineContent(id="water", ingredient="Water", quantity="1", unit="l", note="", pos="a3")
        before = a_content(lines=[*a_content()["lines"], water])
        leek, salt, stock, _water = before["lines"]
        pepper = schema.LineContent(id="pepper", ingredient="Pepper", quantity="1", unit="pinch", note="", pos="a5")
        # Water removed, Leek's quantity changed and Leek moved last, Pepper added
        after = a_content(lines=[salt, stock, {**leek, "quantity": "3", "pos": "a4"}, pepper])
        diff = content_diff(before=before, after=after, category_names={})
        assert [(change.kind, change.text, change.moved) for change in diff.lines] == [
            ("removed", "1 l Water", False),
            ("changed", "3 piece Leek", True),
            ("added", "1 pinch Pepper", False),
        ]
        changed = next(change for change in diff.lines if change.kind == "changed")
        assert [(f.label, f.before, f.after) for f in changed.fields] == [("quantity", "2", "3")]

    def test_a_line_moved_without_changes_is_moved_and_the_others_stay_put(self):
        before = a_content()
        leek, salt, stock = before["lines"]
        diff = content_diff(before=before, after=a_content(lines=[salt, stock, leek]), category_names={})
        assert diff.lines == (ItemChange("moved", "2 piece Leek", moved=True),)

    def test_steps_show_their_text_changes(self):
        before = a_content()
        after = a_content(steps=[{**before["steps"][0], "text": "Chop the leeks finely."}, before["steps"][1]])
        diff = content_diff(before=before, after=after, category_names={})
        (change,) = diff.steps
        assert change.kind == "changed"
        assert change.parts == (
            TextPart("same", "Chop the leeks"),
            TextPart("added", " finely"),
            TextPart("same", "."),
        )

    def test_name_and_description_are_text_diffs(self):
        diff = content_diff(
            before=a_content(), after=a_content(name="Leek and potato soup", description=""), category_names={}
        )
        assert diff.name == (TextPart("same", "Leek "), TextPart("added", "and potato "), TextPart("same", "soup"))
        assert diff.description == (TextPart("removed", "Simple."),)


# -- storage: saving and restoring ----------------------------------------------------------------


def a_recipe(**kwargs) -> Recipe:
    recipe = RecipeFactory(name="Leek soup", description="Simple.", status=Recipe.Status.DRAFT, **kwargs)
    RecipeIngredientFactory(
        recipe=recipe, ingredient=IngredientFactory(name="Leek"), quantity=Decimal("2"), unit="piece", position=1
    )
    RecipeIngredientFactory(
        recipe=recipe, ingredient=IngredientFactory(name="Salt"), quantity=Decimal("5"), unit="g", position=2
    )
    StepFactory(recipe=recipe, position=1, text="Chop the leeks.")
    StepFactory(recipe=recipe, position=2, text="Simmer.")
    store.document_get_or_build(recipe_id=recipe.pk)
    return recipe


def edit(recipe_id: int, change, *, user_id: int | None = None) -> None:
    """An editor's change of the stored document, stored as the room stores it."""
    doc = store.document_stored(recipe_id=recipe_id).doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    with doc.transaction():
        change(doc)
    store.document_append(recipe_id=recipe_id, updates=[(update, user_id) for update in updates])


def content_of(recipe_id: int) -> schema.Content:
    return schema.read(store.document_stored(recipe_id=recipe_id).doc())


def without_status(content: schema.Content) -> schema.Content:
    return {**content, "meta": {k: v for k, v in content["meta"].items() if k != "status"}}  # type: ignore[typeddict-item]


def rename(name: str):
    def change(doc):
        text = doc.get("name", type=Text)
        schema.text_replace(text, name)

    return change


def line(doc, ingredient: str) -> Map:
    return next(item for item in doc.get("lines", type=Array) if item["ingredient"] == ingredient)


@pytest.fixture
def published(monkeypatch):
    """Frames published to open editors (through Redis), in order."""
    sent: list[tuple[str, bytes]] = []
    monkeypatch.setattr(store, "publish_raw", lambda topic, frame: sent.append((topic, frame)))
    return sent


@pytest.mark.django_db
class TestVersionRestore:
    def test_the_document_becomes_the_version_again_and_open_editors_receive_it(
        self, published, django_capture_on_commit_callbacks
    ):
        # Given a version, then edits of the name, a quantity, the servings, a new line and a deleted step
        recipe = a_recipe()
        chef = ChefFactory().user
        old = store.version_save(recipe_id=recipe.pk)

        def later(doc):
            schema.text_replace(doc.get("name", type=Text), "Leek soup, Paris style")
            doc.get("meta", type=Map)["servings"] = 8
            line(doc, "Leek")["quantity"] = "3"
            doc.get("lines", type=Array).append(
                Map({"id": "pepper", "ingredient": "Pepper", "quantity": "1", "unit": "pinch", "note": "", "pos": "z"})
            )
            del doc.get("steps", type=Array)[1]

        edit(recipe.pk, later, user_id=chef.pk)
        # When the owner restores the version
        with django_capture_on_commit_callbacks(execute=True):
            restored = store.version_restore(version=old, by=recipe.owner.user)
        # Then the document is the version again (its status aside)
        content = content_of(recipe.pk)
        assert without_status(content) == without_status({**old.content, "steps": content["steps"]})
        assert [(s["text"], s["pos"]) for s in content["steps"]] == [
            (s["text"], s["pos"]) for s in old.content["steps"]
        ]
        # the step deleted since came back under an id of its own, the other kept its id
        assert content["steps"][0]["id"] == old.content["steps"][0]["id"]
        assert content["steps"][1]["id"] != old.content["steps"][1]["id"]
        # And a version records the restore, by whom, and from which version
        assert restored is not None
        assert (restored.reason, restored.by, restored.restored_from) == ("restore", recipe.owner.user, old)
        assert restored.content == content_of(recipe.pk)
        # And the state before was kept first, so the restore can be undone
        before = RecipeVersion.objects.get(recipe=recipe, seq__gt=old.seq, seq__lt=restored.seq)
        assert before.content["name"] == "Leek soup, Paris style"
        assert list(before.authors.all()) == [chef]
        # And the rows followed at once
        recipe.refresh_from_db()
        assert (recipe.name, recipe.servings) == ("Leek soup", 4)
        assert list(recipe.recipe_ingredients.order_by("position").values_list("ingredient__name", "quantity")) == [
            ("Leek", Decimal("2")),
            ("Salt", Decimal("5")),
        ]
        assert list(recipe.steps.order_by("position").values_list("text", flat=True)) == ["Chop the leeks.", "Simmer."]
        document = RecipeDocument.objects.get(recipe=recipe)
        assert document.written_seq == document.last_seq
        # And open editors were sent the change: applied to an editor's copy from before, it gives the version
        (_topic, frame), *_ = [(t, f) for t, f in published if t == frames.topic(recipe.pk)]
        remote = frames.parse_remote(frame)
        editor = schema.new_doc()
        editor.apply_update(before.state)
        editor.apply_update(frames.parse(remote.message).payload)
        assert schema.read(editor) == content_of(recipe.pk)

    def test_restoring_the_version_kept_before_a_restore_undoes_it(self):
        recipe = a_recipe()
        old = store.version_save(recipe_id=recipe.pk)
        edit(recipe.pk, rename("Leek and potato soup"))
        restored = store.version_restore(version=old, by=None)
        before = RecipeVersion.objects.get(recipe=recipe, seq__gt=old.seq, seq__lt=restored.seq)
        store.version_restore(version=before, by=None)
        assert content_of(recipe.pk)["name"] == "Leek and potato soup"
        assert Recipe.objects.get(pk=recipe.pk).name == "Leek and potato soup"

    def test_only_what_differs_from_the_version_is_touched_so_a_concurrent_edit_elsewhere_survives(self):
        # Given a version, then a change of the name
        recipe = a_recipe()
        old = store.version_save(recipe_id=recipe.pk)
        edit(recipe.pk, rename("Grand leek soup"))
        # and an editor who has the document as it is now and types in the first step (the same as in the
        # version) and in the name, while the restore happens
        editor = store.document_stored(recipe_id=recipe.pk).doc()
        typed: list[bytes] = []
        editor.observe(lambda event: typed.append(event.update))
        with editor.transaction():
            editor.get("steps", type=Array)[0]["text"].insert(len(b"Chop the leeks"), " finely")
            editor.get("name", type=Text).insert(0, "My ")
        store.version_restore(version=old, by=None)
        store.document_append(recipe_id=recipe.pk, updates=[(update, None) for update in typed])
        # Then the name is the version's, with the editor's concurrent typing merged in; the step keeps it too
        content = content_of(recipe.pk)
        assert content["name"] == "My Leek soup"
        assert content["steps"][0]["text"] == "Chop the leeks finely."

    def test_the_status_is_kept(self):
        recipe = a_recipe()
        old = store.version_save(recipe_id=recipe.pk)
        from kitchen.services import recipe_complete

        recipe_complete(recipe=recipe, by=None)
        edit(recipe.pk, rename("Leek soup, completed"))
        store.version_restore(version=old, by=None)
        assert content_of(recipe.pk)["meta"]["status"] == "completed"
        recipe.refresh_from_db()
        assert (recipe.name, recipe.status) == ("Leek soup", "completed")

    def test_a_version_equal_to_the_document_restores_nothing(self, published, django_capture_on_commit_callbacks):
        recipe = a_recipe()
        old = store.version_save(recipe_id=recipe.pk)
        with django_capture_on_commit_callbacks(execute=True):
            assert store.version_restore(version=old, by=None) is None
        assert RecipeVersion.objects.filter(recipe=recipe).count() == 1
        assert published == []

    def test_saving_by_hand_keeps_a_version_now_once_per_change(self):
        recipe = RecipeFactory(name="Fresh")  # no document yet: it is built
        owner = recipe.owner.user
        version, created = store.version_save_by_hand(recipe_id=recipe.pk, by=owner)
        assert created
        assert (version.reason, version.by, version.content["name"]) == ("saved", owner, "Fresh")
        assert store.version_save_by_hand(recipe_id=recipe.pk, by=owner) == (version, False)
        assert store.version_save_by_hand(recipe_id=10**9, by=owner) is None


@pytest.mark.django_db
class TestCompletionVersion:
    """Marking a recipe completed keeps it, as completed, among its versions: once per completion."""

    def completed_versions(self, recipe) -> list[RecipeVersion]:
        return list(RecipeVersion.objects.filter(recipe=recipe, reason=RecipeVersion.Reason.COMPLETED))

    def test_the_button_keeps_a_completed_version_once(self):
        from kitchen.services import recipe_complete

        # Given a draft being co-edited, with a version from before
        recipe = a_recipe()
        store.version_save(recipe_id=recipe.pk)
        chef = recipe.owner.user
        # When its owner marks it completed, then presses again, and an editor's write-back follows
        recipe_complete(recipe=recipe, by=chef)
        recipe_complete(recipe=Recipe.objects.get(pk=recipe.pk), by=chef)
        store.document_write_back(recipe_id=recipe.pk)
        # Then one version keeps it as completed, by whom, and it is the document as it is now
        (version,) = self.completed_versions(recipe)
        assert (version.by, version.content["meta"]["status"]) == (chef, "completed")
        assert version.content == content_of(recipe.pk)
        assert version.seq == RecipeDocument.objects.get(recipe=recipe).last_seq

    def test_completing_in_the_editor_keeps_one_at_its_write_back(self):
        # Given a chef who sets the status to completed in the shared document
        recipe = a_recipe()
        chef = ChefFactory().user

        def complete(doc):
            doc.get("meta", type=Map)["status"] = "completed"

        edit(recipe.pk, complete, user_id=chef.pk)
        # When it is written back, twice
        store.document_write_back(recipe_id=recipe.pk)
        store.document_write_back(recipe_id=recipe.pk)
        # Then the recipe is completed and one version says so, by that chef
        assert Recipe.objects.get(pk=recipe.pk).status == "completed"
        (version,) = self.completed_versions(recipe)
        assert (version.by, version.content["meta"]["status"]) == (chef, "completed")

    def test_a_recipe_nobody_opened_gets_its_document_and_the_version(self):
        from kitchen.services import recipe_complete

        recipe = RecipeFactory(name="Never opened", status=Recipe.Status.DRAFT)
        recipe_complete(recipe=recipe, by=None)
        (version,) = self.completed_versions(recipe)
        assert (version.content["name"], version.content["meta"]["status"]) == ("Never opened", "completed")

    def test_each_completion_has_its_own_and_other_changes_none(self):
        from kitchen.services import recipe_complete, recipe_update

        recipe = a_recipe()
        recipe_complete(recipe=recipe, by=None)
        recipe_update(recipe=recipe, fields={"name": "Leek soup again"})  # completed already: no new completion
        assert len(self.completed_versions(recipe)) == 1
        recipe_update(recipe=recipe, fields={"status": Recipe.Status.DRAFT})
        recipe_complete(recipe=recipe, by=None)  # a second completion
        assert [v.content["name"] for v in self.completed_versions(recipe)] == ["Leek soup again", "Leek soup"]


@pytest.mark.django_db(transaction=True)
def test_a_restore_alongside_editors_a_form_save_and_a_version_save_neither_deadlocks_nor_loses_an_update():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers on the file lock: the race needs PostgreSQL (CI's second pass)")
    from kitchen.services import recipe_update

    recipe = a_recipe()
    old = store.version_save(recipe_id=recipe.pk)
    edit(recipe.pk, rename("Changed"))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(work) -> None:
        barrier.wait()
        try:
            work()
        except BaseException as error:  # reported below, with the thread's traceback lost but its kind kept
            errors.append(error)
        finally:
            connection.close()

    def typing() -> None:
        for n in range(10):
            edit(recipe.pk, lambda doc, n=n: doc.get("description", type=Text).insert(0, f"{n}"))

    works = [
        lambda: store.version_restore(version=old, by=None),
        typing,
        lambda: recipe_update(recipe=Recipe.objects.get(pk=recipe.pk), fields={"servings": 9}),
        lambda: store.version_save(recipe_id=recipe.pk),
    ]
    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    content = content_of(recipe.pk)
    assert content["name"] == "Leek soup"
    # A restore makes the description the version's ("Simple.") again: the digits it saw go, the ones
    # typed after it stay. Typing is in order, each at the front, so "9…k" is left for some k.
    description = content["description"]
    assert description.endswith("Simple."), description
    typed = description.removesuffix("Simple.")
    assert typed in {"".join(str(n) for n in range(9, k - 1, -1)) for k in range(11)}, description
    document = RecipeDocument.objects.get(recipe=recipe)
    assert document.last_seq == len(set(document.updates.values_list("seq", flat=True))) + document.snapshot_seq


# -- the page -------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def history_url(recipe) -> str:
    return reverse("kitchen:recipe-history", args=[recipe.pk])


def restore_url(version) -> str:
    return reverse("kitchen:recipe-version-restore", args=[version.recipe_id, version.pk])


def save_url(recipe) -> str:
    return reverse("kitchen:recipe-version-save", args=[recipe.pk])


@pytest.mark.django_db
class TestHistoryPage:
    def test_lists_versions_newest_first_with_authors_and_a_diff_against_now(self):
        author = ChefFactory(user__first_name="Ana", user__last_name="Lopez").user
        recipe = a_recipe()
        first = store.version_save(recipe_id=recipe.pk)
        edit(recipe.pk, rename("Leek and potato soup"), user_id=author.pk)
        second = store.version_save(recipe_id=recipe.pk)

        response = client_for(recipe.owner.user).get(history_url(recipe))

        body = response.content.decode()
        assert response.status_code == 200
        assert body.index(f'id="version-{second.pk}"') < body.index(f'id="version-{first.pk}"')
        assert "edits by Ana Lopez" in body
        assert "<ins>and potato </ins>" in body  # the first version lacked it
        assert "Same as the recipe now." in body  # the second is the recipe now
        assert body.count("Restore this version") == 1  # nothing to restore from the second

    def test_user_text_is_escaped_in_the_diff(self):
        recipe = a_recipe()
        store.version_save(recipe_id=recipe.pk)
        edit(recipe.pk, rename("<script>alert(1)</script> soup"))
        body = client_for(recipe.owner.user).get(history_url(recipe)).content.decode()
        assert "<script>alert(1)" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body

    def test_a_version_that_differs_only_in_status_offers_no_restore(self):
        recipe = a_recipe()
        store.version_save(recipe_id=recipe.pk)
        from kitchen.services import recipe_complete

        recipe_complete(recipe=recipe, by=None)
        body = client_for(recipe.owner.user).get(history_url(recipe)).content.decode()
        assert "Status: <del>Draft</del> → <ins>Completed</ins>" in body
        assert "Restore this version" not in body

    def test_a_chef_who_may_only_read_sees_the_history_without_buttons(self):
        recipe = a_recipe()
        Recipe.objects.filter(pk=recipe.pk).update(status=Recipe.Status.COMPLETED)
        store.version_save(recipe_id=recipe.pk)
        edit(recipe.pk, rename("Changed"))
        body = client_for(ChefFactory().user).get(history_url(recipe)).content.decode()
        assert "Restore this version" not in body
        assert "Save a version now" not in body
        assert "<del>Leek soup</del>" in body

    def test_a_recipe_without_versions_says_so_and_builds_nothing(self):
        recipe = RecipeFactory()
        body = client_for(recipe.owner.user).get(history_url(recipe)).content.decode()
        assert "No version saved yet." in body
        assert not RecipeDocument.objects.filter(recipe=recipe).exists()

    def test_versions_come_in_pages(self):
        recipe = a_recipe()
        for i in range(3):
            edit(recipe.pk, rename(f"Soup {i}"))
            store.version_save(recipe_id=recipe.pk)
        history = recipe_history(recipe_id=recipe.pk, number=2, per_page=2)
        assert (history.count, history.pages, history.number) == (3, 2, 2)
        assert [entry.version.content["name"] for entry in history.items] == ["Soup 0"]
        assert recipe_history(recipe_id=recipe.pk, number=99, per_page=2).number == 2

    def test_the_page_costs_as_many_queries_for_ten_versions_as_for_two(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        recipe = a_recipe()
        author = ChefFactory().user
        client = client_for(recipe.owner.user)

        def queries_with(versions: int) -> int:
            while RecipeVersion.objects.filter(recipe=recipe).count() < versions:
                edit(recipe.pk, rename(f"Soup {RecipeVersion.objects.count()}"), user_id=author.pk)
                store.version_save_by_hand(recipe_id=recipe.pk, by=recipe.owner.user)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(history_url(recipe)).status_code == 200
            return len(queries)

        assert queries_with(2) == queries_with(10)

    def test_saving_a_version_now(self):
        recipe = a_recipe()
        client = client_for(recipe.owner.user)
        response = client.post(save_url(recipe), follow=True)
        assert response.redirect_chain[-1][0] == history_url(recipe)
        assert "Saved: the recipe as it is now is the newest version." in response.content.decode()
        assert RecipeVersion.objects.get(recipe=recipe).reason == "saved"
        again = client.post(save_url(recipe), follow=True).content.decode()
        assert "Nothing changed since the newest version" in again
        assert RecipeVersion.objects.filter(recipe=recipe).count() == 1

    def test_restoring_from_the_page(self):
        recipe = a_recipe()
        old = store.version_save(recipe_id=recipe.pk)
        edit(recipe.pk, rename("Other"))
        response = client_for(recipe.owner.user).post(restore_url(old), follow=True)
        assert "Restored the version of" in response.content.decode()
        assert Recipe.objects.get(pk=recipe.pk).name == "Leek soup"
        assert RecipeVersion.objects.filter(recipe=recipe, reason="restore", restored_from=old).count() == 1
        again = client_for(recipe.owner.user).post(restore_url(old), follow=True).content.decode()
        assert "Nothing to restore: the recipe is as it was on" in again


def edit_url(recipe) -> str:
    return reverse("kitchen:recipe-edit", args=[recipe.pk])


@pytest.mark.django_db
class TestEditorHistoryPanel:
    """The editor lists the newest versions and restores one without leaving the editor."""

    def test_lists_the_newest_versions_each_with_a_restore_form_that_comes_back_to_the_editor(self):
        recipe = a_recipe()
        versions = []
        for i in range(7):
            edit(recipe.pk, rename(f"Soup {i}"))
            versions.append(store.version_save(recipe_id=recipe.pk))
        body = client_for(recipe.owner.user).get(edit_url(recipe)).content.decode()
        listed = [v for v in versions if f'data-version-id="{v.pk}"' in body]
        assert listed == versions[-5:]
        assert body.count('name="next" value="edit"><button type="submit" class="secondary outline"') == 5
        assert body.index(f'data-version-id="{versions[-1].pk}"') < body.index(f'data-version-id="{versions[-2].pk}"')

    def test_restoring_with_next_edit_comes_back_to_the_editor_and_says_what_happened(self):
        recipe = a_recipe()
        old = store.version_save(recipe_id=recipe.pk)
        edit(recipe.pk, rename("Other"))
        client = client_for(recipe.owner.user)
        response = client.post(restore_url(old), {"next": "edit"})
        assert response["Location"] == f"{edit_url(recipe)}#editor-history"
        page = client.get(edit_url(recipe)).content.decode()
        assert "Restored the version of" in page
        assert Recipe.objects.get(pk=recipe.pk).name == "Leek soup"

    def test_a_reader_sees_the_versions_without_restore_buttons(self):
        recipe = a_recipe()
        Recipe.objects.filter(pk=recipe.pk).update(status=Recipe.Status.COMPLETED)
        version = store.version_save(recipe_id=recipe.pk)
        body = client_for(ChefFactory().user).get(edit_url(recipe)).content.decode()
        assert f'data-version-id="{version.pk}"' in body
        assert "Restore the version of" not in body


@pytest.mark.django_db
class TestHistoryPermissions:
    @pytest.fixture
    def version(self):
        recipe = a_recipe()
        version = store.version_save(recipe_id=recipe.pk)
        edit(recipe.pk, rename("Changed since"))
        return version

    def test_anonymous_visitors_are_sent_to_log_in(self, version):
        recipe = version.recipe
        for response in (
            Client().get(history_url(recipe)),
            Client().post(save_url(recipe)),
            Client().post(restore_url(version)),
        ):
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")

    def test_a_draft_someone_else_owns_is_not_found(self, version):
        stranger = client_for(ChefFactory().user)
        assert stranger.get(history_url(version.recipe)).status_code == 404
        assert stranger.post(save_url(version.recipe)).status_code == 404
        assert stranger.post(restore_url(version)).status_code == 404
        assert content_of(version.recipe_id)["name"] == "Changed since"

    def test_a_reader_may_not_save_or_restore(self, version):
        Recipe.objects.filter(pk=version.recipe_id).update(status=Recipe.Status.COMPLETED)
        reader = client_for(ChefFactory().user)
        assert reader.get(history_url(version.recipe)).status_code == 200
        assert reader.post(save_url(version.recipe)).status_code == 403
        assert reader.post(restore_url(version)).status_code == 403
        assert RecipeVersion.objects.filter(recipe_id=version.recipe_id).count() == 1

    def test_collaborators_and_superusers_may_restore(self, version):
        helper = ChefFactory()
        version.recipe.collaborators.add(helper)
        assert client_for(helper.user).post(restore_url(version)).status_code == 302
        edit(version.recipe_id, rename("Again"))
        admin = ChefFactory(user__is_superuser=True).user
        assert client_for(admin).post(restore_url(version)).status_code == 302
        assert Recipe.objects.get(pk=version.recipe_id).name == "Leek soup"

    def test_a_version_of_another_recipe_is_not_found(self, version):
        other = RecipeFactory(owner=version.recipe.owner)
        url = reverse("kitchen:recipe-version-restore", args=[other.pk, version.pk])
        assert client_for(version.recipe.owner.user).post(url).status_code == 404

    def test_restoring_takes_a_post_with_the_csrf_token(self, version):
        client = Client(enforce_csrf_checks=True)
        client.force_login(version.recipe.owner.user)
        assert client.get(restore_url(version)).status_code == 405
        assert client.post(restore_url(version)).status_code == 403
        assert content_of(version.recipe_id)["name"] == "Changed since"


# -- collaborators --------------------------------------------------------------------------------


def add_url(recipe) -> str:
    return reverse("kitchen:recipe-collaborator-add", args=[recipe.pk])


def remove_url(recipe, chef) -> str:
    return reverse("kitchen:recipe-collaborator-remove", args=[recipe.pk, chef.pk])


@pytest.mark.django_db
class TestCollaborators:
    @pytest.fixture
    def recipe(self):
        return RecipeFactory(status=Recipe.Status.DRAFT, owner=ChefFactory(user__username="owner"))

    def test_the_owner_adds_a_chef_by_username(self, recipe):
        helper = ChefFactory(user__username="Marie")
        response = client_for(recipe.owner.user).post(add_url(recipe), {"username": " marie "}, follow=True)
        assert response.redirect_chain[-1][0].endswith("#collaborators")
        assert "Marie can now edit this recipe." in response.content.decode()
        assert list(recipe.collaborators.all()) == [helper]
        # and the form on the editor page leads back there
        response = client_for(recipe.owner.user).post(add_url(recipe), {"username": "nobody", "next": "edit"})
        assert response["Location"] == reverse("kitchen:recipe-edit", args=[recipe.pk]) + "#collaborators"
        # and the new collaborator may now edit its history
        assert client_for(helper.user).post(save_url(recipe)).status_code == 302

    @pytest.mark.parametrize(
        ("username", "message"),
        [
            ("", "Enter the username of the chef to add."),
            ("nobody", "There is no active user called “nobody”."),
            ("gone", "There is no active user called “gone”."),
            ("visitor", "visitor has no chef profile, so cannot edit recipes."),
            ("owner", "owner owns this recipe."),
            ("already", "already already edits this recipe."),
        ],
    )
    def test_who_cannot_be_added_is_said_clearly(self, recipe, username, message, django_user_model):
        ChefFactory(user__username="gone", user__is_active=False)
        django_user_model.objects.create_user(username="visitor")
        recipe.collaborators.add(ChefFactory(user__username="already"))
        response = client_for(recipe.owner.user).post(add_url(recipe), {"username": username}, follow=True)
        assert message in response.content.decode()
        assert [c.user.username for c in recipe.collaborators.all()] == ["already"]

    def test_the_owner_removes_a_collaborator_and_their_open_editors_are_told(
        self, recipe, published, django_capture_on_commit_callbacks
    ):
        helper = ChefFactory(user__username="helper")
        recipe.collaborators.add(helper)
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(recipe.owner.user).post(remove_url(recipe, helper), follow=True)
        assert "helper no longer edits this recipe." in response.content.decode()
        assert not recipe.collaborators.exists()
        controls = [frames.parse_remote(frame).message for topic, frame in published]
        assert f'{{"access": [{helper.user_id}]}}'.encode() in controls
        again = client_for(recipe.owner.user).post(remove_url(recipe, helper), follow=True)
        assert "That chef does not edit this recipe." in again.content.decode()

    def test_only_the_owner_and_superusers_choose(self, recipe):
        helper = ChefFactory()
        recipe.collaborators.add(helper)
        newcomer = ChefFactory(user__username="newcomer")
        assert client_for(helper.user).post(add_url(recipe), {"username": "newcomer"}).status_code == 403
        assert client_for(helper.user).post(remove_url(recipe, helper)).status_code == 403
        assert client_for(ChefFactory().user).post(add_url(recipe), {"username": "newcomer"}).status_code == 404
        response = Client().post(add_url(recipe), {"username": "newcomer"})
        assert response["Location"].startswith("/accounts/login/")
        assert list(recipe.collaborators.all()) == [helper]
        admin = ChefFactory(user__is_superuser=True).user
        assert client_for(admin).post(add_url(recipe), {"username": "newcomer"}).status_code == 302
        assert newcomer in recipe.collaborators.all()

    def test_the_recipe_page_shows_the_form_to_the_owner_only_and_history_to_all(self, recipe):
        helper = ChefFactory(user__username="helper")
        recipe.collaborators.add(helper)
        ChefFactory(user__username="candidate")
        detail = reverse("kitchen:recipe-detail", args=[recipe.pk])
        owner_page = client_for(recipe.owner.user).get(detail).content.decode()
        assert 'id="collaborators"' in owner_page
        assert '<option value="candidate">' in owner_page
        assert '<option value="helper">' not in owner_page  # already in
        assert history_url(recipe) in owner_page
        helper_page = client_for(helper.user).get(detail).content.decode()
        assert 'id="collaborators"' not in helper_page
        assert history_url(recipe) in helper_page
