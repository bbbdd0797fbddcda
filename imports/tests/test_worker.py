"""Imports on a real Celery worker (tests/worker.py): live progress, and a worker or pool process
killed with SIGKILL mid-import: the import resumes and ends with every record exactly once."""

from __future__ import annotations

import json
import os
import signal

import pytest
from asgiref.sync import sync_to_async
from django.core.files.base import ContentFile
from django.db.models import Count

from imports import services
from imports.models import ImportFile
from imports.tests.conftest import csv_bytes, csv_rows
from jobs.models import Job
from jobs.tests.test_consumers import connect
from kitchen.models import Recipe, RecipeIngredient
from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECIPES = 6_000


def start_import(chef, recipes: int) -> Job:
    content = csv_bytes(csv_rows(recipes, lines=3, steps=2))
    import_file = services.import_file_store(
        owner=chef.user, upload=ContentFile(content, name="big.csv"), name="big.csv"
    )
    return services.import_start(owner=chef.user, import_file=import_file)


def job_when(job: Job, predicate, what: str, timeout: float = 120) -> Job:
    seen = {}

    def check() -> bool:
        seen["job"] = Job.objects.get(pk=job.pk)
        return predicate(seen["job"])

    wait_for(check, timeout=timeout, interval=0.02, what=f"the import {what}")
    return seen["job"]


def assert_every_record_once(job: Job, recipes: int) -> None:
    done = Job.objects.get(pk=job.pk)
    assert (done.state, done.done, done.total) == ("done", recipes, recipes)
    assert done.result == {"records": recipes, "imported": recipes, "failed": 0}
    names = Recipe.objects.filter(import_key__startswith=f"{job.pk}:")
    assert names.count() == recipes
    assert not names.values("name").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert RecipeIngredient.objects.filter(recipe__in=names).count() == 3 * recipes


def test_a_worker_killed_mid_import_is_resumed_and_every_record_lands_once(celery_worker, chef):
    job = start_import(chef, RECIPES)
    cut = job_when(job, lambda j: j.done >= 500, "to be under way")

    celery_worker.kill()  # SIGKILL: the worker and its pool, mid-batch most likely
    left = Job.objects.get(pk=job.pk)
    assert left.state == "running"
    assert left.done < RECIPES, "the import finished before the kill: make it bigger"
    assert Recipe.objects.filter(import_key__startswith=f"{job.pk}:").count() == left.done  # the cursor is exact

    celery_worker.start()  # a new worker resumes jobs whose heartbeat is stale
    job_when(job, lambda j: j.state == "done", "to be resumed and finish")
    assert Job.objects.get(pk=job.pk).attempts == 2
    assert cut.done <= left.done
    assert_every_record_once(job, RECIPES)


def test_a_pool_process_killed_mid_import_is_delivered_again_and_finishes(celery_worker, chef):
    job = start_import(chef, RECIPES)
    job_when(job, lambda j: j.done >= 500, "to be under way")

    for pid in celery_worker.pool_pids():
        os.kill(pid, signal.SIGKILL)

    job_when(job, lambda j: j.state == "done", "to be run again and finish")
    assert Job.objects.get(pk=job.pk).attempts == 2
    assert_every_record_once(job, RECIPES)


async def test_the_owner_watches_the_import_progress_live(celery_worker, chef):
    socket = await connect(chef.user)
    job = await sync_to_async(start_import)(chef, RECIPES)
    seen = []
    while not seen or seen[-1]["state"] not in ("done", "failed"):
        event = (await socket.receive_json_from(timeout=60))["job"]
        if event["id"] == job.pk:
            seen.append(event)
    assert seen[-1]["state"] == "done"
    assert any(event["state"] == "running" and 0 < event["done"] < RECIPES for event in seen)
    assert all(event["total"] in (None, RECIPES) for event in seen)
    await socket.disconnect()


def test_every_format_imports_on_the_worker(celery_worker, chef):
    from pathlib import Path

    from imports.tests.test_sources import MEALIE_EXPORT

    page = (Path(__file__).parent / "data" / "pages" / "nhs.uk.html").read_bytes()
    files = {
        "recipes.json": json.dumps(
            [{"name": "Soup", "ingredients": [{"ingredient": "Leek", "quantity": "2", "unit": "piece"}]}]
        ).encode(),
        "mealie.jsonld": json.dumps(MEALIE_EXPORT).encode(),
        "recipes.csv": csv_bytes(csv_rows(3)),
    }
    jobs = []
    for name, content in files.items():
        stored = services.import_file_store(owner=chef.user, upload=ContentFile(content, name=name), name=name)
        jobs.append(services.import_start(owner=chef.user, import_file=stored))
    page_file = ImportFile(owner=chef.user, name="https://www.nhs.uk/recipe", size=len(page), format="html",
                           source_url="https://www.nhs.uk/recipe")  # fmt: skip
    page_file.file.save("page.html", ContentFile(page))
    jobs.append(services.import_start(owner=chef.user, import_file=page_file))

    finished = [job_when(job, lambda j: j.state in ("done", "failed"), "to finish") for job in jobs]

    assert [(job.state, job.result["imported"]) for job in finished] == [("done", 1), ("done", 2), ("done", 3),
                                                                         ("done", 1)]  # fmt: skip
    assert Recipe.objects.filter(owner=chef).count() == 7
