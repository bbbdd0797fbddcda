"""The scheduled price refresh: same recording path as the command, safe to run twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings

from kitchen.models import Ingredient, IngredientPrice
from kitchen.tasks import refresh_prices
from kitchen.tests.factories import IngredientFactory
from kitchen.tests.stub_http import Reply, StubServer

pytestmark = pytest.mark.django_db

LAST_WEEK = datetime(2026, 11, 14, tzinfo=UTC)  # older than the feed's observation
FEED = [{"ingredient": "Butter", "price": "12.5", "currency": "EUR", "unit": "kg", "observed_at": "2026-11-21"}]


@pytest.fixture
def feed(settings):
    stub = StubServer()
    base = stub.start()
    stub.replies["/prices.json"] = Reply(body=json.dumps(FEED).encode())
    settings.PRICE_PROVIDER = "feed"
    settings.PRICE_FEED_URL = f"{base}/prices.json"
    settings.PRICE_FEED_FORMAT = "json"
    yield stub
    stub.stop()


def test_a_run_records_prices_and_a_second_run_changes_nothing(feed, django_capture_on_commit_callbacks, monkeypatch):
    from core import realtime
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


def test_beat_schedules_the_refresh():
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-prices"]
    assert entry["task"] == refresh_prices.name == "kitchen.tasks.refresh_prices"
    assert entry["schedule"] == settings.PRICE_REFRESH_SECONDS > 0
