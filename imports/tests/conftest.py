from __future__ import annotations

import csv
import io
import json

import pytest

from imports.tests.test_web import _servers, internal_stub, public_stub  # noqa: F401  (shared fixtures)
from jobs.tests.conftest import as_user, listen, queue  # noqa: F401  (shared fixtures)

HEADER = ["recipe_ref", "kind", "name", "description", "servings", "prep_time", "difficulty", "status",
          "categories", "ingredient", "quantity", "unit", "note", "step"]  # fmt: skip


def csv_rows(recipes: int, *, lines: int = 3, steps: int = 2, start: int = 1) -> list[dict]:
    rows = []
    for n in range(start, start + recipes):
        ref = f"r{n}"
        for line in range(1, lines + 1):
            rows.append({"recipe_ref": ref, "kind": "line", "name": f"Dish {n}", "servings": "4", "prep_time": "30",
                         "difficulty": "easy", "categories": "Soups|Imported", "ingredient": f"Thing {line}",
                         "quantity": f"{line * 10}.5", "unit": "g", "note": "fine" if line == 1 else ""})  # fmt: skip
        for step in range(1, steps + 1):
            rows.append({"recipe_ref": ref, "kind": "step", "step": f"Step {step} of dish {n}."})
    return rows


def csv_bytes(rows: list[dict], *, header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def json_bytes(recipes: list[dict]) -> bytes:
    return json.dumps(recipes).encode()


@pytest.fixture
def chef(db):
    from kitchen.tests.factories import ChefFactory

    return ChefFactory(user__username="importer")


def export_csv(user) -> bytes:
    """GET /imports/export.csv as a browser would, through Django's async handler (it streams there)."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def fetch() -> bytes:
        client = AsyncClient()
        await client.aforce_login(user)
        response = await client.get("/imports/export.csv")
        assert response.is_async  # sent as it goes, not read whole first
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(fetch)()
