from __future__ import annotations

import pytest

from core.redis_clients import sync_client


@pytest.fixture(autouse=True)
def _forget_login_failures(settings):
    """Failed log-ins are counted in Redis, which outlives each test: start and end with none."""

    def forget() -> None:
        prefix = settings.REDIS_KEY_PREFIX
        client = sync_client()
        for key in client.scan_iter(match=f"{prefix}:rl:login-*", count=500):
            client.delete(key)

    forget()
    yield
    forget()
