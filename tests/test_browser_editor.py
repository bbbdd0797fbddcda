"""The co-editing page in Chromium: two chefs on one recipe, typing at once, seeing each other,
undoing their own changes only, reordering and editing the same line, watching the cost move,
and editing offline until the connection comes back."""

from __future__ import annotations

import pytest

from kitchen.models import Recipe
from kitchen.tests.factories import ChefFactory
from tests.test_browser_shell import log_in
from tests.test_collab_live import recipe_with_rows

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_editor(page, base: str, username: str, recipe_id: int) -> None:
    log_in(page, base, username)
    page.wait_for_url(f"{base}/recipes/")
    page.goto(f"{base}/recipes/{recipe_id}/edit/")
    page.locator("#recipe-editor[data-connection=open]").wait_for()


def name_text(page) -> str:
    """The name as the page's document holds it (the field's text also shows remote cursors' names)."""
    return page.evaluate(TEXT_OF, "name")


TEXT_OF = "(root) => window.brigadeEditor.doc.getText(root).toString()"


def lines(page) -> list[tuple[str, str]]:
    rows = page.locator("#editor-lines li.editor-line")
    return [
        (row.locator("[data-key=ingredient]").input_value(), row.locator("[data-key=quantity]").input_value())
        for row in rows.all()
    ]


def test_two_chefs_edit_one_recipe_live(browser, live_server_url):
    owner, helper = ChefFactory(user__first_name="Léa"), ChefFactory(user__first_name="Marc")
    recipe = recipe_with_rows(owner=owner)
    recipe.collaborators.add(helper)
    contexts = [browser.new_context(), browser.new_context()]
    lea, marc = (context.new_page() for context in contexts)
    try:
        open_editor(lea, live_server_url, owner.user.username, recipe.pk)
        open_editor(marc, live_server_url, helper.user.username, recipe.pk)
        assert name_text(lea) == "Tarte tatin"
        assert lines(lea) == [("Apple", "6"), ("Butter", "80")]

        # Each sees the other, with the name the server knows
        lea.locator("#editor-presence", has_text="Marc").wait_for()
        marc.locator("#editor-presence", has_text="Léa").wait_for()

        # Both type into the name at once: both pages end with the same text, holding both inputs
        lea.locator("#editor-name .cm-content").click()
        lea.keyboard.press("End")
        marc.locator("#editor-name .cm-content").click()
        marc.keyboard.press("Home")
        lea.keyboard.type(" aux pommes", delay=20)
        marc.keyboard.type("La ", delay=20)
        for page in (lea, marc):
            page.wait_for_function(
                "() => { const t = window.brigadeEditor.doc.getText('name').toString();"
                " return t.includes('aux pommes') && t.startsWith('La '); }"
            )
        assert name_text(lea) == name_text(marc) == "La Tarte tatin aux pommes"
        # Léa sees Marc's cursor in the name
        lea.locator("#editor-name .cm-ySelectionCaret").first.wait_for()

        # Undo takes back only one's own typing
        marc.locator("#editor-undo").click()
        for page in (lea, marc):
            page.wait_for_function(
                "() => window.brigadeEditor.doc.getText('name').toString() === 'Tarte tatin aux pommes'"
            )

        # One moves the Apple line down while the other changes its quantity: both survive
        apple_id = lea.locator("li.editor-line").first.get_attribute("data-id")
        marc_quantity = marc.locator(f"li.editor-line[data-id='{apple_id}'] [data-key=quantity]")
        marc_quantity.focus()
        lea.locator(f"li.editor-line[data-id='{apple_id}']").get_by_role("button", name="Move this line down").click()
        marc_quantity.fill("12")
        for page in (lea, marc):
            page.wait_for_function(
                "() => { const rows = [...document.querySelectorAll('#editor-lines li.editor-line')];"
                " const last = rows[rows.length - 1];"
                " return rows.length === 2 && last.querySelector('[data-key=ingredient]').value === 'Apple'"
                " && last.querySelector('[data-key=quantity]').value === '12'; }"
            )
        assert lines(lea) == lines(marc) == [("Butter", "80"), ("Apple", "12")]

        # The cost moves when a quantity changes (written back, then pushed)
        before = lea.locator("#editor-cost [data-field=total]").inner_text()
        butter = lea.locator("li.editor-line").first.locator("[data-key=quantity]")
        butter.fill("160")
        lea.wait_for_function(
            "(before) => document.querySelector('#editor-cost [data-field=total]').innerText !== before", arg=before
        )
        assert lea.locator("#editor-cost [data-field=total]").inner_text().startswith("0.40")

        # Offline: Marc keeps editing; the page says so; the edits arrive when he is back
        contexts[1].set_offline(True)
        marc.evaluate("window.brigadeEditor.provider.disconnect()")
        marc.locator("#recipe-editor[data-connection=closed]").wait_for()
        marc.locator("#editor-description .cm-content").click()
        marc.keyboard.press("Control+End")
        marc.keyboard.type(" Offline note.")
        assert "edits will be sent" in marc.locator("#editor-connection").inner_text()
        contexts[1].set_offline(False)
        marc.evaluate("window.brigadeEditor.provider.connect()")
        marc.locator("#recipe-editor[data-connection=open]").wait_for()
        lea.wait_for_function(
            "() => window.brigadeEditor.doc.getText('description').toString().includes('Offline note.')"
        )

        # And the rows follow
        def written() -> bool:
            return Recipe.objects.get(pk=recipe.pk).name == "Tarte tatin aux pommes"

        lea.wait_for_function("() => true")  # (a turn of the page's loop)
        for _ in range(50):
            if written():
                break
            lea.wait_for_timeout(200)
        assert written()
    finally:
        for context in contexts:
            context.close()


def test_a_reader_watches_read_only_and_a_stranger_is_refused(browser, live_server_url):
    owner = ChefFactory()
    recipe = recipe_with_rows(owner=owner)
    Recipe.objects.filter(pk=recipe.pk).update(status=Recipe.Status.COMPLETED)
    reader = ChefFactory()
    context = browser.new_context()
    page = context.new_page()
    try:
        open_editor(page, live_server_url, reader.user.username, recipe.pk)
        assert page.locator("#editor-name .cm-content").get_attribute("contenteditable") == "false"
        assert page.locator("#editor-add-line").is_disabled()
        assert page.locator("li.editor-line [data-key=quantity]").first.is_disabled()
        Recipe.objects.filter(pk=recipe.pk).update(status=Recipe.Status.DRAFT)
        response = page.goto(f"{live_server_url}/recipes/{recipe.pk}/edit/")
        assert response is not None
        assert response.status == 404
    finally:
        context.close()


def test_the_editor_fits_a_phone(browser, live_server_url):
    owner = ChefFactory()
    recipe = recipe_with_rows(owner=owner)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_editor(page, live_server_url, owner.user.username, recipe.pk)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # and the keyboard alone reaches every control of a line
        page.locator("li.editor-line [data-key=quantity]").first.focus()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.key") == "unit"
    finally:
        context.close()
