"""The import pipeline in process (the job's handler run directly, the way a worker runs it)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from imports import services
from imports.tests.conftest import csv_bytes, csv_rows, export_csv, json_bytes
from jobs.models import Job
from jobs.tasks import run_job
from kitchen.models import Category, Ingredient, Recipe, RecipeIngredient, Step

pytestmark = pytest.mark.django_db(transaction=True)


def stored(chef, content: bytes, name: str = "recipes.csv"):
    upload = ContentFile(content, name=name)
    return services.import_file_store(owner=chef.user, upload=upload, name=name)


def run(chef, content: bytes, name: str = "recipes.csv", *, settings=None) -> Job:
    import_file = stored(chef, content, name)
    job = services.import_start(owner=chef.user, import_file=import_file)
    run_job(job.pk)
    return Job.objects.get(pk=job.pk)


def test_a_csv_is_imported_whole(chef, queue, settings):
    settings.IMPORT_BATCH_SIZE = 4
    job = run(chef, csv_bytes(csv_rows(10, lines=3, steps=2)))

    assert (job.state, job.done, job.total, job.error_count) == ("done", 10, 10, 0)
    assert job.result == {"records": 10, "imported": 10, "failed": 0}
    assert Recipe.objects.count() == 10
    assert RecipeIngredient.objects.count() == 30
    assert Step.objects.count() == 20
    assert Ingredient.objects.count() == 3  # each new ingredient created once
    assert set(Category.objects.values_list("name", flat=True)) == {"Soups", "Imported"}
    dish = Recipe.objects.get(name="Dish 3")
    assert (dish.owner, dish.servings, dish.prep_time, dish.difficulty, dish.status) == (chef, 4, 30, "easy", "draft")
    assert [
        (str(line.quantity), line.unit, line.ingredient.name, line.note) for line in dish.recipe_ingredients.all()
    ] == [("10.500", "g", "Thing 1", "fine"), ("20.500", "g", "Thing 2", ""), ("30.500", "g", "Thing 3", "")]
    assert [step.text for step in dish.steps.all()] == ["Step 1 of dish 3.", "Step 2 of dish 3."]


def test_bad_records_are_reported_and_nothing_of_them_is_written(chef, queue):
    rows = csv_rows(5)
    rows[0]["quantity"] = "-3"  # r1: negative
    rows[5]["unit"] = "handful"  # r2: unknown unit
    rows[10]["name"] = "\u202eevil"  # r3: a bidirectional override in its name
    rows += [{"recipe_ref": "r1", "kind": "step", "step": "again"}]  # r1 again, apart from its rows
    job = run(chef, csv_bytes(rows))

    assert job.state == "done"
    assert job.result == {"records": 6, "imported": 2, "failed": 4}
    report = {(entry["item"], entry["field"]) for entry in job.errors}
    assert ("r1", "lines.0.quantity") in report
    assert ("r2", "lines.0.unit") in report
    assert ("r3", "name") in report
    assert any(item.startswith("r1 (line") and field == "recipe_ref" for item, field in report)
    assert set(Recipe.objects.values_list("name", flat=True)) == {"Dish 4", "Dish 5"}
    assert RecipeIngredient.objects.count() == 6  # no line of a refused recipe was written


@pytest.mark.parametrize(
    "content, message",
    [
        (b"name,quantity\nSoup,1\n", "no column 'recipe_ref'"),
        (b"recipe_ref,kind,name\nr1,recipe,Caf\xe9\n", "not UTF-8"),
        (b'[{"name": "Soup", "ingredients": [', "cut short"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (b'recipe_ref,kind,name\nr1,recipe,"Soup\n', "cannot be read"),
    ],
)
def test_a_file_that_is_not_what_it_claims_fails_clearly_and_imports_nothing(chef, queue, content, message):
    job = run(chef, content, name="file.csv" if not content.startswith(b"[") else "file.json")
    assert job.state == "failed"
    assert message in job.error
    assert not Recipe.objects.exists()


def test_json_in_the_api_schema_with_named_ingredients(chef, queue):
    recipes = [
        {"name": "Soup", "servings": 2, "categories": ["Soups"], "steps": ["Boil.", "Serve."],
         "ingredients": [{"ingredient": "Onion", "quantity": "2", "unit": "piece"},
                         {"ingredient": "Butter", "quantity": "25.5", "unit": "grams", "note": "cold"}]},
        {"name": "Bad", "ingredients": [{"ingredient": "Salt", "quantity": 1e400, "unit": "g"}]},
        # A JSON number is read exactly (never through a float), so it is taken as written.
        {"name": "Exact", "ingredients": [{"ingredient": "Salt", "quantity": 0.1, "unit": "g"}]},
        ["not", "an", "object"],
    ]  # fmt: skip
    job = run(chef, json_bytes(recipes).replace(b"Infinity", b"1e400"), name="recipes.json")
    assert job.result == {"records": 4, "imported": 2, "failed": 2}
    assert str(Recipe.objects.get(name="Exact").recipe_ingredients.get().quantity) == "0.100"
    soup = Recipe.objects.get(name="Soup")
    assert [(line.ingredient.name, str(line.quantity), line.unit) for line in soup.recipe_ingredients.all()] == [
        ("Onion", "2.000", "piece"),
        ("Butter", "25.500", "g"),
    ]
    assert {entry["item"] for entry in job.errors} == {"#2", "#4"}


def test_a_resumed_run_carries_on_from_its_cursor_and_creates_nothing_twice(chef, queue, settings):
    settings.IMPORT_BATCH_SIZE = 3
    import_file = stored(chef, csv_bytes(csv_rows(10)))
    job = services.import_start(owner=chef.user, import_file=import_file)
    # Given a run that wrote 6 records and died (its cursor committed with them)
    from jobs import services as job_services

    started = job_services.job_start(job_id=job.pk, task_id="first")
    from imports.job_kinds import import_recipes
    from jobs.progress import Progress

    class Killed(Exception):
        pass

    progress = Progress(started)
    real_checkpoint = progress.checkpoint

    def checkpoint(done, total=None):
        real_checkpoint(done, total)
        if done >= 6:
            raise Killed

    progress.checkpoint = checkpoint
    with pytest.raises(Killed):
        import_recipes(started, progress)
    assert Recipe.objects.count() == 3  # the batch whose checkpoint "died" rolled back with it
    assert Job.objects.get(pk=job.pk).done == 3
    # When the job is taken over (its heartbeat stale) and run again
    Job.objects.filter(pk=job.pk).update(heartbeat_at=None)
    run_job(job.pk)
    # Then every record is there exactly once
    finished = Job.objects.get(pk=job.pk)
    assert (finished.state, finished.result["imported"]) == ("done", 10)
    assert sorted(Recipe.objects.values_list("name", flat=True)) == sorted(f"Dish {n}" for n in range(1, 11))


def test_a_retry_from_the_start_skips_records_already_imported(chef, queue):
    job = run(chef, csv_bytes(csv_rows(4)))
    Job.objects.filter(pk=job.pk).update(state="failed")  # as if it had failed at the very end
    from jobs.services import job_retry

    job_retry(job=Job.objects.get(pk=job.pk), by=chef.user)
    run_job(job.pk)
    again = Job.objects.get(pk=job.pk)
    assert (again.state, again.result["imported"]) == ("done", 4)
    assert Recipe.objects.count() == 4


def test_the_preview_shows_the_first_records_and_new_ingredients(chef, queue):
    Ingredient.objects.create(name="thing 1", unit="g")
    rows = csv_rows(8)
    rows[5]["unit"] = "bushel"  # r2's first line
    preview = services.import_preview(import_file=stored(chef, csv_bytes(rows)))
    assert preview.total == 8
    assert [record.key for record in preview.records] == ["r1", "r2", "r3", "r4", "r5"]
    assert preview.records[1].error.field == "lines.0.unit"
    assert preview.new_ingredients == ["Thing 2", "Thing 3"]
    assert not Recipe.objects.exists()


def test_an_upload_over_the_limit_or_empty_is_refused(chef, settings):
    from django.core.exceptions import ValidationError

    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="files up to"):
        stored(chef, b"x" * 101)
    with pytest.raises(ValidationError, match="empty"):
        stored(chef, b"")


def test_an_export_imports_back_as_it_was(chef, queue, as_user):
    from kitchen.tests.factories import CategoryFactory, RecipeFactory, RecipeIngredientFactory, StepFactory

    soup = RecipeFactory(owner=chef, name='Soup, "thick"', description="Line one\nline two", servings=3,
                         prep_time=25, difficulty="hard", status="completed")  # fmt: skip
    soup.categories.add(CategoryFactory(name="Soups"))
    RecipeIngredientFactory(recipe=soup, quantity="1.250", unit="kg", note='=HYPERLINK("http://evil")')
    RecipeIngredientFactory(recipe=soup, quantity="3", unit="piece")
    StepFactory(recipe=soup, position=1, text="Chop.")
    StepFactory(recipe=soup, position=2, text="Simmer,\nthen blend.")
    RecipeFactory(owner=chef, name="Empty")
    only_steps = RecipeFactory(owner=chef, name="Only steps")
    StepFactory(recipe=only_steps, position=1, text="Think.")

    exported = export_csv(chef.user)
    # A spreadsheet would run a cell starting with "=": it goes out as '=HYPERLINK(...), and comes back as it was
    assert b"'=HYPERLINK" in exported
    assert b",=HYPERLINK" not in exported
    assert b',"=HYPERLINK' not in exported
    job = run(chef, exported)

    assert job.result == {"records": 3, "imported": 3, "failed": 0}

    def shape(recipe):
        return (recipe.name, recipe.description, recipe.servings, recipe.prep_time, recipe.difficulty, recipe.status,
                [c.name for c in recipe.categories.all()],
                [(line.ingredient_id, line.quantity, line.unit, line.note) for line in recipe.recipe_ingredients.all()],
                [step.text for step in recipe.steps.all()])  # fmt: skip

    originals = Recipe.objects.filter(import_key__isnull=True).order_by("name")
    copies = Recipe.objects.filter(import_key__isnull=False).order_by("name")
    assert [shape(recipe) for recipe in copies] == [shape(recipe) for recipe in originals]
