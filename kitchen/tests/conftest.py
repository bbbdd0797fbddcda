"""Fixtures shared by the kitchen tests."""

from __future__ import annotations

import json

import pytest

from kitchen.tests.stub_http import Reply, StubServer

# One observation of butter, as a price feed reports it.
FEED = [{"ingredient": "Butter", "price": "12.5", "currency": "EUR", "unit": "kg", "observed_at": "2026-11-21"}]


@pytest.fixture
def feed(settings):
    """A local HTTP price feed answering FEED at /prices.json, configured as the price provider."""
    stub = StubServer()
    base = stub.start()
    stub.replies["/prices.json"] = Reply(body=json.dumps(FEED).encode())
    settings.PRICE_PROVIDER = "feed"
    settings.PRICE_FEED_URL = f"{base}/prices.json"
    settings.PRICE_FEED_FORMAT = "json"
    yield stub
    stub.stop()
