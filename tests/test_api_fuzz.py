"""Schemathesis against the live server's /api/openapi.json: no input may cause a server error."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.services import api_token_create
from jobs.services import job_create
from kitchen.tests.factories import ChefFactory, IngredientFactory, RecipeFactory, RecipeIngredientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = 25


def test_no_generated_request_causes_a_server_error(live_server_url):
    staff = ChefFactory(user__is_staff=True)
    butter = IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"))
    recipe = RecipeFactory(owner=staff)
    RecipeIngredientFactory(recipe=recipe, ingredient=butter)
    job_create(owner=staff.user, kind="demo.count", params={"count": 3})  # an id for /api/jobs/{job_id}
    _, secret = api_token_create(user=staff.user, name="fuzz")

    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(schemathesis), "run", f"{live_server_url}/api/openapi.json",
         "--checks", "not_a_server_error", "--max-examples", str(MAX_EXAMPLES), "--seed", "20261125",
         "--header", f"Authorization: Bearer {secret}", "--request-timeout", "20", "--no-color"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout.lower()
