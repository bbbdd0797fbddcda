"""The scheduled price refresh: same recording path as the command, safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


def test_beat_runs_the_refresh_hourly_and_drops_a_run_still_queued_when_the_next_is_due():
    """The default entry (core's data migration) as beat reads it; the admin's Periodic tasks edit it."""
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    from brigade.celery import app

    entry = ModelEntry(PeriodicTask.objects.get(name="refresh-prices"), app=app)
    assert entry.task == refresh_prices.name == "kitchen.tasks.refresh_prices"
    assert entry.model.enabled
    assert entry.schedule.run_every == timedelta(hours=1)
    assert entry.options["expires"] == 3600
