"""The co-editing page in Chromium: two chefs on one recipe, typing at once, seeing each other,
undoing their own changes only, reordering and editing the same line, watching the cost move,
editing offline until the connection comes back, restoring a version, creating a missing
ingredient; a reader's page that a hostile client cannot break; labels and the keyboard alone."""

from __future__ import annotations

import pytest
from pycrdt import Array, Text

from kitchen.collab import store
from kitchen.models import Ingredient, Recipe, RecipeVersion
from kitchen.tests.factories import ChefFactory
from tests.collab_client import YClient
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


STEPS_AND_NOTES_ARE = """(want) => {
  const doc = window.brigadeEditor.doc;
  const order = (items) => items.toArray().sort((a, b) => (a.get("pos") < b.get("pos") ? -1 : 1));
  const steps = order(doc.getArray("steps")).map((step) => step.get("text").toString());
  const notes = order(doc.getArray("lines")).map((line) => line.get("note"));
  return JSON.stringify([steps, notes]) === JSON.stringify(want);
}"""
EVERYONE_TYPED = [["Peel the apples. Core them too.", "Caramelise. Until amber."], ["peeled", "cold"]]


def step_texts(page) -> list[str]:
    return page.evaluate(
        "() => window.brigadeEditor.doc.getArray('steps').toArray()"
        ".sort((a, b) => (a.get('pos') < b.get('pos') ? -1 : 1)).map((s) => s.get('text').toString())"
    )


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
        # Each sees the other's cursor in the name, with the other's name on it
        lea.locator("#editor-name .cm-ySelectionInfo", has_text="Marc").wait_for()
        marc.locator("#editor-name .cm-ySelectionInfo", has_text="Léa").wait_for()

        # Undo takes back only one's own typing
        marc.locator("#editor-undo").click()
        for page in (lea, marc):
            page.wait_for_function(
                "() => window.brigadeEditor.doc.getText('name').toString() === 'Tarte tatin aux pommes'"
            )

        # Both type at once into different steps and different lines: everything lands on both pages
        lea.locator("li.editor-step").nth(0).locator(".cm-content").click()
        lea.keyboard.press("Control+End")
        marc.locator("li.editor-step").nth(1).locator(".cm-content").click()
        marc.keyboard.press("Control+End")
        lea.keyboard.type(" Core them too.", delay=20)
        marc.keyboard.type(" Until amber.", delay=20)
        lea.locator("li.editor-line").nth(0).locator("[data-key=note]").press_sequentially("peeled", delay=20)
        marc.locator("li.editor-line").nth(1).locator("[data-key=note]").press_sequentially("cold", delay=20)
        for page in (lea, marc):
            page.wait_for_function(STEPS_AND_NOTES_ARE, arg=EVERYONE_TYPED)
        assert step_texts(lea) == step_texts(marc) == ["Peel the apples. Core them too.", "Caramelise. Until amber."]

        # One moves the Apple line down while the other changes its quantity: both survive
        apple_id = lea.locator("li.editor-line").first.get_attribute("data-id")
        marc_quantity = marc.locator(f"li.editor-line[data-id='{apple_id}'] [data-key=quantity]")
        marc_quantity.focus()
        lea.locator(f"li.editor-line[data-id='{apple_id}']").get_by_role("button", name="Move line 1 down").click()
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


def test_a_restore_from_one_editor_reaches_both_pages_live(browser, live_server_url):
    # Given a version of the recipe as it was, kept before two chefs open it
    owner, helper = ChefFactory(user__first_name="Léa"), ChefFactory(user__first_name="Marc")
    recipe = recipe_with_rows(owner=owner)
    recipe.collaborators.add(helper)
    store.document_get_or_build(recipe_id=recipe.pk)
    version = store.version_save(recipe_id=recipe.pk)
    contexts = [browser.new_context(), browser.new_context()]
    lea, marc = (context.new_page() for context in contexts)
    try:
        open_editor(lea, live_server_url, owner.user.username, recipe.pk)
        open_editor(marc, live_server_url, helper.user.username, recipe.pk)
        lea.evaluate("window.notReloaded = true")
        # and Marc's edits since: the name and a quantity
        marc.locator("#editor-name .cm-content").click()
        marc.keyboard.press("End")
        marc.keyboard.type(" royale", delay=20)
        marc.locator("li.editor-line").nth(1).locator("[data-key=quantity]").fill("95")
        marc.keyboard.press("Tab")  # a field being typed in keeps what its chef sees until they leave it
        lea.wait_for_function(
            "() => window.brigadeEditor.doc.getText('name').toString() === 'Tarte tatin royale'"
            " && document.querySelectorAll('#editor-lines [data-key=quantity]')[1].value === '95'"
        )

        # When Léa restores the version from the editor's History panel
        lea.locator(f"#editor-history li[data-version-id='{version.pk}']").get_by_role(
            "button", name="Restore the version of"
        ).click()

        # Then both pages show the recipe as it was, live, and Léa is still on her editor (not reloaded)
        for page in (lea, marc):
            page.wait_for_function(
                "() => window.brigadeEditor.doc.getText('name').toString() === 'Tarte tatin'"
                " && document.querySelectorAll('#editor-lines [data-key=quantity]')[1].value === '80'"
            )
        assert lea.evaluate("window.notReloaded") is True
        assert lea.url == f"{live_server_url}/recipes/{recipe.pk}/edit/"
        lea.locator("#editor-history-status", has_text="Restored the version of").wait_for()
        # and the panel lists the restore as the newest version
        restored = RecipeVersion.objects.get(recipe=recipe, reason=RecipeVersion.Reason.RESTORE)
        newest = lea.locator("#editor-history-list > li").first
        assert newest.get_attribute("data-version-id") == str(restored.pk)
        assert newest.locator("[data-field=reason]").text_content() == "Restored"
        # and both can go on editing
        marc.locator("#editor-name .cm-content").click()
        marc.keyboard.press("End")
        marc.keyboard.type("!", delay=20)
        lea.wait_for_function("() => window.brigadeEditor.doc.getText('name').toString() === 'Tarte tatin!'")
    finally:
        for context in contexts:
            context.close()


def test_a_chef_creates_the_ingredient_a_line_names_and_the_line_resolves(browser, live_server_url):
    # Given a collaborator (not staff) on the editor
    owner, helper = ChefFactory(), ChefFactory(user__first_name="Marc")
    assert not helper.user.is_staff
    recipe = recipe_with_rows(owner=owner)
    recipe.collaborators.add(helper)
    context = browser.new_context()
    page = context.new_page()
    try:
        open_editor(page, live_server_url, helper.user.username, recipe.pk)
        # When he adds a line naming an ingredient nobody has created
        page.locator("#editor-add-line").click()
        row = page.locator("li.editor-line").nth(2)
        row.locator("[data-key=quantity]").fill("2")
        row.locator("[data-key=unit]").select_option("piece")
        row.locator("[data-key=ingredient]").fill("Quince")
        # Then the line is marked, with a way to create it
        row.locator("[data-key=ingredient][aria-invalid=true]").wait_for()
        assert "No ingredient is called “Quince”." in row.locator(".field-problem").text_content()
        # And when he creates it there, the line resolves: no longer marked, and written to the recipe
        row.get_by_role("button", name="Create “Quince”").click()
        page.wait_for_function(
            "() => !document.querySelectorAll('#editor-lines li.editor-line')[2]"
            ".querySelector('[data-key=ingredient]').hasAttribute('aria-invalid')"
        )
        assert row.get_by_role("button", name="Create “Quince”").count() == 0
        assert Ingredient.objects.get(name="Quince").unit == "piece"
        lines = Recipe.objects.get(pk=recipe.pk).recipe_ingredients.order_by("position")
        assert [line.ingredient.name for line in lines] == ["Apple", "Butter", "Quince"]
    finally:
        context.close()


def test_a_reader_sees_every_step_even_one_a_client_made_plain_text(browser, live_server_url, session_cookie):
    # Given a completed recipe whose owner's client replaced a step's text (a Y.Text) by a plain string
    owner = ChefFactory()
    recipe = recipe_with_rows(owner=owner)
    Recipe.objects.filter(pk=recipe.pk).update(status=Recipe.Status.COMPLETED)
    hostile = YClient(live_server_url, recipe.pk, session_cookie(owner.user)).wait_synced()

    def make_plain(index: int, text: str) -> None:
        steps = sorted(hostile.doc.get("steps", type=Array), key=lambda step: step["pos"])
        steps[index]["text"] = text
        assert not isinstance(steps[index]["text"], Text)
        hostile.pump()

    make_plain(0, "Peel the apples, plainly.")
    reader = ChefFactory()
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # When a chef who may only read opens it, and the client does it again to the other step meanwhile
        open_editor(page, live_server_url, reader.user.username, recipe.pk)
        make_plain(1, "Caramelise, plainly.")
        # Then every step shows, as plain text where it is not a Y.Text, and nothing failed
        page.wait_for_function(
            "() => [...document.querySelectorAll('#editor-steps li.editor-step .step-text')]"
            ".map((box) => box.textContent).join('|') === 'Peel the apples, plainly.|Caramelise, plainly.'"
        )
        assert page.locator("#editor-steps .plain-text").count() == 2
        assert page.locator("#editor-steps .plain-text").first.get_attribute("aria-label") == "Step 1"
        # and the rest of the page still renders
        assert page.locator("li.editor-line").count() == 2
        assert errors == []
    finally:
        context.close()
        hostile.close()


def test_every_control_is_labelled_and_the_keyboard_alone_reorders(browser, live_server_url):
    owner = ChefFactory()
    recipe = recipe_with_rows(owner=owner)
    context = browser.new_context()
    page = context.new_page()
    try:
        open_editor(page, live_server_url, owner.user.username, recipe.pk)
        # Every line control and step editor says what it is and which row it is on
        labels = page.eval_on_selector_all(
            "#editor-lines [data-key], #editor-lines button, #editor-steps .cm-content, #editor-steps button",
            "(nodes) => nodes.map((node) => node.getAttribute('aria-label'))",
        )
        assert labels == [
            "Quantity, line 1", "Unit, line 1", "Ingredient, line 1", "Note, line 1",
            "Move line 1 up", "Move line 1 down", "Remove line 1",
            "Quantity, line 2", "Unit, line 2", "Ingredient, line 2", "Note, line 2",
            "Move line 2 up", "Move line 2 down", "Remove line 2",
            "Step 1", "Move step 1 up", "Move step 1 down", "Remove step 1",
            "Step 2", "Move step 2 up", "Move step 2 down", "Remove step 2",
        ]  # fmt: skip
        # and who is here and the connection's state are announced politely
        assert page.locator("#editor-presence").get_attribute("aria-live") == "polite"
        assert page.locator("#editor-connection").get_attribute("aria-live") == "polite"

        # With the keyboard alone: from the first quantity to its "down" button, Enter moves the line
        page.locator("li.editor-line [data-key=quantity]").first.focus()
        for _ in range(5):
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move line 1 down"
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelector('#editor-lines [data-key=ingredient]').value === 'Butter'")
        # the focus stays on the moved line's control, renumbered; and up again brings it back, focus kept
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move line 2 down"
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelector('#editor-lines [data-key=ingredient]').value === 'Apple'")
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move line 1 up"
    finally:
        context.close()
