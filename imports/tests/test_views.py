"""The import page and POST /api/imports, through Django's test client."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports.models import ImportFile
from imports.tests.conftest import csv_bytes, csv_rows, export_csv
from jobs.models import Job

pytestmark = pytest.mark.django_db


def upload(content: bytes, name: str = "recipes.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_upload_preview_then_start(chef, as_user, queue):
    client = as_user(chef.user)
    assert client.get("/imports/").status_code == 200

    response = client.post("/imports/", {"file": upload(csv_bytes(csv_rows(7)))})
    import_file = ImportFile.objects.get()
    assert response["Location"] == f"/imports/{import_file.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "<strong>7</strong> recipes in the file; the first 5:" in page
    assert "Dish 1" in page
    assert "10.5 g Thing 1" in page
    assert "New ingredients these would add: Thing 1, Thing 2, Thing 3" in page

    client.post(f"/imports/{import_file.pk}/start/")
    client.post(f"/imports/{import_file.pk}/start/")  # twice: still one job
    job = Job.objects.get()
    assert (job.kind, job.params, job.owner) == ("imports.recipes", {"file_id": import_file.pk}, chef.user)
    assert f'data-only-job="{job.pk}"' in client.get(f"/imports/{import_file.pk}/").content.decode()


def test_a_file_over_the_limit_is_refused_with_the_limit(chef, as_user, settings):
    settings.IMPORT_MAX_BYTES = settings.UPLOAD_MAX_BYTES = 1024
    response = as_user(chef.user).post("/imports/", {"file": upload(b"x" * 70_000)})
    assert response.status_code == 400
    assert "over the upload limit: files up to 1 KB can be imported" in response.content.decode()
    assert not ImportFile.objects.exists()


def test_a_broken_file_shows_why_in_the_preview(chef, as_user):
    client = as_user(chef.user)
    response = client.post("/imports/", {"file": upload(b"just,some\ncolumns,here\n")})
    page = client.get(response["Location"]).content.decode()
    assert "This file cannot be imported: this is not a Brigade recipe CSV" in page
    assert "start/" not in page


def test_someone_elses_import_is_a_404(chef, as_user, queue):
    from kitchen.tests.factories import ChefFactory

    client = as_user(chef.user)
    response = client.post("/imports/", {"file": upload(csv_bytes(csv_rows(1)))})
    other = as_user(ChefFactory().user)
    assert other.get(response["Location"]).status_code == 404
    assert other.post(f"{response['Location']}start/").status_code == 404
    assert not Job.objects.exists()


def test_the_api_takes_a_file_and_answers_202_with_the_job(chef, as_user, queue):
    response = as_user(chef.user).post("/api/imports", {"file": upload(csv_bytes(csv_rows(2)))})
    assert response.status_code == 202
    job = Job.objects.get()
    assert response.json()["id"] == job.pk
    assert response.json()["kind"] == "imports.recipes"


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        ('{"url": "ftp://example.com/x"}', "application/json", 422),
        ('{"url": 3}', "application/json", 422),
        ('{"url": "https://example.com", "more": 1}', "application/json", 422),
        ('{"url": ', "application/json", 400),
        ("[" * 100_000, "application/json", 400),
        ("", "application/json", 422),
    ],
)
def test_the_api_refuses_bad_bodies_clearly(chef, as_user, body, content_type, status):
    response = as_user(chef.user).post("/api/imports", body, content_type=content_type)
    assert response.status_code == status
    assert response.json()["error"]


def test_the_api_refuses_a_multipart_without_the_file_and_an_internal_url(chef, as_user, settings):
    client = as_user(chef.user)
    response = client.post("/api/imports", {"other": "x"})
    assert response.status_code == 422
    assert "named 'file'" in response.json()["error"]
    response = client.post("/api/imports", {"url": "http://127.0.0.1:9/recipe"}, content_type="application/json")
    assert response.status_code == 422
    assert not ImportFile.objects.exists()


def test_the_api_streams_an_upload_bigger_than_a_request_body_may_be(chef, as_user, queue, settings):
    big = csv_bytes(csv_rows(10_000, lines=3, steps=2))
    assert len(big) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # a JSON body this big would be refused
    response = as_user(chef.user).post("/api/imports", {"file": upload(big)})
    assert response.status_code == 202
    assert ImportFile.objects.get().size == len(big)


@pytest.mark.parametrize("text", ["=1+1", "'=1+1", "''@x", "-3", "'plain", "'", "plain", "\tx"])
def test_the_formula_guard_round_trips_every_cell(text):
    from imports.formats import csv_cell_in, csv_cell_out

    guarded = csv_cell_out(text)
    assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert csv_cell_in(guarded) == text


def test_the_recipe_export_streams_under_asgi_without_reading_it_all_first(chef):
    """Under ASGI a sync iterator is read whole before the first byte (Django warns); ours is async."""
    import warnings

    from kitchen.tests.factories import RecipeFactory

    for _ in range(3):
        RecipeFactory(owner=chef)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "StreamingHttpResponse must consume synchronous iterators…"
        body = export_csv(chef.user)
    assert body.count(b"\n") >= 4
