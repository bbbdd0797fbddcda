"""The owner chooses who co-edits a recipe from its page; a chef taken off is cut off at once."""

from __future__ import annotations

import pytest

from kitchen.tests.factories import ChefFactory
from tests.collab_client import YClient
from tests.test_browser_shell import log_in
from tests.test_collab_live import recipe_with_rows

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_owner_adds_a_chef_by_username_then_removes_them_and_their_editor_closes(
    page, live_server_url, session_cookie
):
    # Given a draft and a chef who may not see it yet
    owner = ChefFactory(user__username="share-owner")
    marie = ChefFactory(user__username="marie", user__first_name="Marie")
    recipe = recipe_with_rows(owner=owner)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server_url, owner.user.username)
    page.wait_for_url(f"{live_server_url}/recipes/")
    page.goto(f"{live_server_url}/recipes/{recipe.pk}/")

    # When the owner types a name no one has, then hers
    field = page.get_by_label("Add a chef by username")
    field.fill("nobody")
    page.get_by_role("button", name="Add", exact=True).click()
    page.locator(".message-error").wait_for()
    assert page.locator(".message-error").text_content() == "There is no active user called “nobody”."
    page.get_by_label("Add a chef by username").fill("marie")
    page.get_by_role("button", name="Add", exact=True).click()

    # Then she is listed, and may open the recipe's shared document to edit it
    page.locator(".message-success").wait_for()
    assert page.locator('#collaborators li[data-username="marie"]').is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    editor = YClient(live_server_url, recipe.pk, session_cookie(marie.user)).wait_synced()

    # And when the owner removes her, her open editor is closed at once
    page.get_by_role("button", name="Remove Marie").click()
    page.locator(".message-success").filter(has_text="marie no longer edits this recipe.").wait_for()
    assert page.locator('#collaborators li[data-username="marie"]').count() == 0
    assert editor.wait_closed() == 4403
