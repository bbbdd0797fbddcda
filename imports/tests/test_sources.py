"""JSON-LD files, saved real recipe pages and URLs, imported end to end (the job's handler run in process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from imports import services
from imports.models import ImportFile
from imports.tests.test_web import RECIPE_PAGE
from jobs.models import Job
from jobs.tasks import run_job
from kitchen.models import Recipe
from kitchen.tests.stub_http import Reply

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = Path(__file__).parent / "data" / "pages"

MEALIE_EXPORT = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebSite", "name": "My kitchen"},
        {"@type": "Recipe", "name": "Pancakes", "recipeYield": "4 servings", "totalTime": "PT25M",
         "recipeIngredient": ["1 1/2 cups flour", "2 large eggs", "200 ml milk", "salt to taste"],
         "recipeInstructions": [{"@type": "HowToStep", "text": "Whisk."}, {"@type": "HowToStep", "text": "Fry."}]},
        {"@type": ["Recipe", "Thing"], "name": "Tea", "recipeIngredient": ["1 tsp black tea", "250 ml water"],
         "recipeInstructions": "Steep for four minutes."},
        {"@type": "Recipe", "recipeIngredient": ["1 egg"]},
    ],
}  # fmt: skip


def import_now(chef, import_file: ImportFile) -> Job:
    job = services.import_start(owner=chef.user, import_file=import_file)
    run_job(job.pk)
    return Job.objects.get(pk=job.pk)


def test_a_jsonld_export_is_imported_and_unreadable_ingredients_are_kept_verbatim(chef, queue):
    content = json.dumps(MEALIE_EXPORT).encode()
    import_file = services.import_file_store(owner=chef.user, upload=ContentFile(content), name="mealie.json")
    assert import_file.format == "jsonld"

    job = import_now(chef, import_file)

    assert job.result == {"records": 3, "imported": 2, "failed": 1}
    assert job.errors[0]["field"] == "name"
    pancakes = Recipe.objects.get(name="Pancakes")
    assert (pancakes.servings, pancakes.prep_time) == (4, 25)
    lines = [(str(line.quantity), line.unit, line.ingredient.name) for line in pancakes.recipe_ingredients.all()]
    assert lines == [("1.500", "cup", "flour"), ("2.000", "piece", "eggs"), ("200.000", "ml", "milk")]
    assert pancakes.unparsed_ingredients == ["salt to taste"]
    assert [step.text for step in pancakes.steps.all()] == ["Whisk.", "Fry."]


@pytest.mark.parametrize("page", sorted(path.name for path in PAGES.glob("*.html")))
def test_a_saved_real_page_imports_a_recipe(chef, queue, page):
    body = (PAGES / page).read_bytes()
    import_file = ImportFile(owner=chef.user, name=f"https://{page.removesuffix('.html')}/recipe", size=len(body),
                             format="html", source_url=f"https://{page.removesuffix('.html')}/recipe")  # fmt: skip
    import_file.file.save("page.html", ContentFile(body))

    job = import_now(chef, import_file)

    assert job.state == "done", job.error
    assert job.result["imported"] >= 1
    recipe = Recipe.objects.get()
    assert recipe.name
    assert recipe.steps.exists()
    assert recipe.recipe_ingredients.count() + len(recipe.unparsed_ingredients) >= 3


def test_a_recipe_page_by_url_is_previewed_and_imported(chef, queue, as_user, public_stub):
    public_stub.replies["/soup"] = Reply(body=RECIPE_PAGE, content_type="text/html")
    client = as_user(chef.user)

    response = client.post("/imports/url/", {"url": f"{public_stub.base}/soup"})

    import_file = ImportFile.objects.get()
    assert response["Location"] == f"/imports/{import_file.pk}/"
    assert "Stub soup" in client.get(response["Location"]).content.decode()
    job = import_now(chef, import_file)
    assert job.result == {"records": 1, "imported": 1, "failed": 0}
    assert [(str(line.quantity), line.unit) for line in Recipe.objects.get().recipe_ingredients.all()] == [
        ("1.000", "kg")
    ]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/", "http://localhost/", "http://10.1.2.3/", "http://169.254.169.254/latest/"]
)
def test_internal_addresses_are_refused_on_the_page_and_in_the_api(chef, as_user, internal_stub, url):
    client = as_user(chef.user)
    page = client.post("/imports/url/", {"url": url})
    assert page.status_code == 400
    assert "only public web pages can be fetched" in page.content.decode()
    api = client.post("/api/imports", {"url": url}, content_type="application/json")
    assert api.status_code == 422
    assert not ImportFile.objects.exists()
    assert internal_stub.hits == []


def test_a_page_redirecting_inside_the_network_is_refused(chef, as_user, public_stub, internal_stub):
    public_stub.replies["/go"] = Reply(status=302, body=b"", headers={"Location": f"{internal_stub.base}/secret"})
    body = {"url": f"{public_stub.base}/go"}
    response = as_user(chef.user).post("/api/imports", body, content_type="application/json")
    assert response.status_code == 422
    assert internal_stub.hits == []
