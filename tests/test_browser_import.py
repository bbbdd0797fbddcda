"""Importing recipes in Chromium with a real worker: upload, preview, a progress bar that moves and
finishes, then an imported recipe opened."""

from __future__ import annotations

import pytest

from imports.tests.conftest import csv_bytes, csv_rows
from kitchen.models import Recipe
from kitchen.tests.factories import ChefFactory
from tests.test_browser_shell import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECIPES = 6_000


def test_upload_preview_watch_the_import_and_open_a_recipe(page, live_server_url, celery_worker, tmp_path):
    chef = ChefFactory()
    path = tmp_path / "collection.csv"
    path.write_bytes(csv_bytes(csv_rows(RECIPES, lines=3, steps=2)))
    log_in(page, live_server_url, chef.user.username)
    page.wait_for_url(f"{live_server_url}/recipes/")

    # Upload: the preview shows the first recipes and what they would add, before anything is created
    page.goto(f"{live_server_url}/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="Upload and preview").click()
    page.locator("#preview").wait_for()
    assert page.locator("#preview-total").inner_text().startswith(f"{RECIPES:,}".replace(",", "") + " recipes")
    assert page.locator("#preview tbody tr").count() == 5
    assert "Thing 1" in page.locator("#new-ingredients").inner_text()
    assert not Recipe.objects.exists()

    # Start: the progress bar moves live, then the page shows what was imported
    page.get_by_role("button", name=f"Import {RECIPES} recipes").click()
    page.wait_for_function(
        "() => { const bar = document.querySelector('#job-list progress');"
        f" return bar && bar.value > 0 && bar.value < {RECIPES}; }}",
        timeout=60_000,
    )
    page.locator("#imported li a").first.wait_for(timeout=60_000)
    assert page.locator("#job-list li.job").get_attribute("data-state") == "done"
    assert page.locator("#job-list [data-field=count]").inner_text() == f"{RECIPES} / {RECIPES}"

    # Open one
    page.locator("#imported li a", has_text="Dish 1").first.click()
    page.wait_for_url(f"{live_server_url}/recipes/*/")
    assert page.locator("h1").inner_text() == "Dish 1"
    assert "Thing 2" in page.locator("#recipe-cost").inner_text()
