from __future__ import annotations

import pytest

from kitchen.tests.factories import PASSWORD, ChefFactory

# Shared real servers for every app's tests: an SMTP server and a Celery worker.
pytest_plugins = ["tests.smtp", "tests.worker"]


@pytest.fixture(autouse=True)
def _fresh_overview_cache():
    """Tests roll back their writes without commit hooks; start each with a new data version."""
    from kitchen.overview import bump_overview_version

    bump_overview_version()


@pytest.fixture
def chef(db):
    return ChefFactory()


@pytest.fixture
def chef_client(client, chef):
    client.force_login(chef.user)
    return client


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture(scope="session", autouse=True)
async def _close_price_client():
    """The price feed's pooled client lives on the session's event loop: close it at the end."""
    yield
    from kitchen.pricing.providers import close_http_client

    await close_http_client()
