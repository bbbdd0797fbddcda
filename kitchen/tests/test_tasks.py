"""The scheduled price refresh: same recording path as the command, safe to run twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kitchen.models import Ingredient, IngredientPrice
from kitchen.tasks import refresh_prices
from kitchen.tests.factories import IngredientFactory
from kitchen.tests.stub_http import Reply

pytestmark = pytest.mark.django_db

LAST_WEEK = datetime(2026, 11, 14, tzinfo=UTC)  # older than the feed's observation


def test_a_run_records_prices_and_a_second_run_changes_nothing(feed, django_capture_on_commit_callbacks, monkeypatch):
    from core.realtime import hub as realtime
    from kitchen.pricing.services import PRICES_TOPIC

    published = []
    monkeypatch.setattr(realtime, "publish_raw", lambda topic, frame: published.append(topic))
    butter = IngredientFactory(name="Butter", unit="g", current_price=Decimal("0.0100"), priced_at=LAST_WEEK)
    with django_capture_on_commit_callbacks(execute=True):
        refresh_prices()
    butter.refresh_from_db()
    assert butter.current_price == Decimal("0.0125")  # 12.5 EUR/kg in the stock unit, grams
    assert IngredientPrice.objects.filter(ingredient=butter).count() == 1
    assert published == [PRICES_TOPIC]  # open dashboards hear of it

    # The same task delivered again (a worker died before acking): nothing new, nothing published
    with django_capture_on_commit_callbacks(execute=True):
        refresh_prices()
    assert IngredientPrice.objects.filter(ingredient=butter).count() == 1
    assert published == [PRICES_TOPIC]


def test_a_broken_provider_keeps_the_stored_prices(feed):
    butter = IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"))
    feed.replies["/prices.json"] = Reply(body=b"<html>maintenance</html>", content_type="text/html")
    refresh_prices()  # logs a warning, raises nothing
    assert Ingredient.objects.get(pk=butter.pk).current_price == Decimal("10")
    assert not IngredientPrice.objects.exists()


@pytest.mark.parametrize("seconds", [3600, 0])
def test_beat_stores_the_refresh_with_its_interval_expiry_and_switch(seconds):
    """What django-celery-beat's database scheduler makes of the entry in settings."""
    import os
    import subprocess
    import sys

    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    from brigade.celery import app

    # The settings module, read afresh with PRICE_REFRESH_SECONDS as a deployment would set it
    entry = json.loads(
        subprocess.run(
            [sys.executable, "-c", "import json; from brigade import settings as s; "
             "print(json.dumps(s.CELERY_BEAT_SCHEDULE['refresh-prices']))"],
            env={**os.environ, "PRICE_REFRESH_SECONDS": str(seconds)}, capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    ModelEntry.from_entry("refresh-prices", app=app, **entry)
    task = PeriodicTask.objects.get(name="refresh-prices")
    assert task.task == refresh_prices.name == "kitchen.tasks.refresh_prices"
    assert task.enabled is (seconds > 0)
    assert task.interval.every == 3600
    assert task.expire_seconds == 3600
