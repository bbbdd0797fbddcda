"""Restoring a version while chefs have the recipe open: over a real socket, and from the history page."""

from __future__ import annotations

import pytest
from django.test import Client
from pycrdt import Array, Text

from kitchen.collab import store
from kitchen.models import Recipe, RecipeDocument, RecipeVersion
from kitchen.tests.factories import ChefFactory
from tests.collab_client import YClient
from tests.helpers import off_the_loop, wait_for
from tests.test_browser_shell import log_in
from tests.test_collab_live import recipe_with_rows

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def stored_seq(recipe: Recipe) -> int:
    return RecipeDocument.objects.get(recipe=recipe).last_seq


def edited_after_a_version(client: YClient, recipe: Recipe) -> RecipeVersion:
    """A version of the recipe as first opened, then the client's edits of the name and a quantity, stored."""
    version = store.version_save(recipe_id=recipe.pk)
    assert version is not None
    with client.doc.transaction():
        client.doc.get("name", type=Text).insert(0, "Grand ")
        next(item for item in client.doc.get("lines", type=Array) if item["ingredient"] == "Butter")["quantity"] = "90"
    wait_for(lambda: stored_seq(recipe) > version.seq, timeout=10, what="the edits to be stored")
    return version


def test_a_restore_reaches_an_open_editor_live_and_editing_goes_on(live_server_url, session_cookie):
    owner = ChefFactory(user__username="history-owner")
    recipe = recipe_with_rows(owner=owner)
    editor = YClient(live_server_url, recipe.pk, session_cookie(owner.user)).wait_synced()
    version = edited_after_a_version(editor, recipe)

    # When the owner restores the version from the history page (a POST through Django's stack)
    def restore():
        client = Client()
        client.force_login(owner.user)
        return client.post(f"/recipes/{recipe.pk}/history/{version.pk}/restore/")

    response = off_the_loop(restore)
    assert response.status_code == 302, response.content

    # Then the open editor receives it, without reconnecting
    def restored() -> bool:
        content = editor.content()
        butter = next(line for line in content["lines"] if line["ingredient"] == "Butter")
        return content["name"] == "Tarte tatin" and butter["quantity"] == "80"

    editor.wait(restored, what="the restore on the open editor")
    assert editor.close_code is None
    # And editing goes on from there, written back as usual
    editor.doc.get("name", type=Text).insert(len(b"Tarte tatin"), " aux pommes")
    wait_for(lambda: Recipe.objects.get(pk=recipe.pk).name == "Tarte tatin aux pommes", timeout=10, what="write-back")
    editor.close()


def test_the_history_page_shows_the_diff_and_restores_while_a_collaborator_edits(page, live_server_url, session_cookie):
    # Given a draft shared with a collaborator who has it open and edited it after a version was kept
    owner = ChefFactory(user__username="history-page-owner")
    helper = ChefFactory(user__username="history-helper", user__first_name="Hélène")
    recipe = recipe_with_rows(owner=owner)
    recipe.collaborators.add(helper)
    editor = YClient(live_server_url, recipe.pk, session_cookie(helper.user)).wait_synced()
    version = edited_after_a_version(editor, recipe)
    store.version_save(recipe_id=recipe.pk)

    # When the owner opens the history from the recipe page, on a phone
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server_url, owner.user.username)
    page.wait_for_url(f"{live_server_url}/recipes/")
    page.goto(f"{live_server_url}/recipes/{recipe.pk}/")
    page.get_by_role("button", name="History").click()  # a link drawn as a button, like "Edit recipe"
    page.wait_for_url(f"{live_server_url}/recipes/{recipe.pk}/history/")

    # Then the older version reads as what changed since: the name's new word, the butter's quantity
    older = page.locator(f"#version-{version.pk}")
    assert older.locator("[data-field=name] ins").text_content() == "Grand "
    assert "quantity 80 → 90" in older.locator("[data-field=lines]").text_content()
    assert "edits by Hélène" in page.locator("[data-field=people]").first.text_content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # And restoring it reaches the collaborator's open editor and the page says what happened
    older.get_by_role("button", name="Restore this version").click()
    page.locator(".message-success").wait_for()
    assert page.locator(".message-success").text_content().startswith("Restored the version of")
    editor.wait(lambda: editor.content()["name"] == "Tarte tatin", what="the restore on the collaborator's editor")
    newest = page.locator(".version-list > li").first
    assert newest.locator("[data-field=reason]").text_content() == "Restored"
    people = newest.locator("[data-field=people]").text_content()
    assert people.startswith("the version of ")
    assert people.endswith(", by history-page-owner")  # not also among the editors
    editor.close()
