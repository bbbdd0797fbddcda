"""FASTPATH=0 runs Brigade on Django's stock handler, middleware, cache, sessions and auth backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.utils.module_loading import import_string

from brigade.config import BASE_DIR

REPORT = """
import json
import brigade.asgi
from django.conf import settings

app = brigade.asgi.django_asgi_app
print(json.dumps({
    "asgi": f"{type(app).__module__}.{type(app).__qualname__}",
    "middleware": settings.MIDDLEWARE,
    "cache": {**settings.CACHES["default"], "OPTIONS": sorted(settings.CACHES["default"]["OPTIONS"])},
    "session_engine": settings.SESSION_ENGINE,
    "auth_backends": settings.AUTHENTICATION_BACKENDS,
    "silenced": settings.SILENCED_SYSTEM_CHECKS,
}))
"""


def stack(fastpath: str) -> dict:
    """The request stack a fresh process builds with FASTPATH set so."""
    env = {**os.environ, "FASTPATH": fastpath, "DJANGO_SETTINGS_MODULE": "brigade.settings"}
    result = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stock() -> dict:
    return stack("0")


def test_fastpath_off_is_djangos_own_stack(stock):
    assert stock["asgi"] == "django.core.handlers.asgi.ASGIHandler"
    assert stock["middleware"] == [
        "django.middleware.security.SecurityMiddleware",
        "servestatic.middleware.ServeStaticMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
    assert stock["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert stock["session_engine"] == "django.contrib.sessions.backends.cached_db"
    assert stock["auth_backends"] == ["django.contrib.auth.backends.ModelBackend"]
    assert stock["silenced"] == []  # Django's own security checks find Django's own middleware


def test_fastpath_on_swaps_each_part_for_a_subclass_in_the_same_place(stock):
    fast = stack("1")
    assert fast["asgi"] == "core.fastpath.handlers.ASGIHandler"
    assert len(fast["middleware"]) == len(stock["middleware"])
    for ours, django in zip(fast["middleware"], stock["middleware"], strict=True):
        assert issubclass(import_string(ours), import_string(django)), (ours, django)
    assert issubclass(import_string(fast["cache"]["BACKEND"]), import_string(stock["cache"]["BACKEND"]))
    assert {k: v for k, v in fast["cache"].items() if k != "BACKEND"} == {
        k: v for k, v in stock["cache"].items() if k != "BACKEND"
    }
    assert fast["session_engine"] == "core.fastpath.sessions"
    assert fast["auth_backends"] == ["accounts.backends.CachedModelBackend"]


def test_fastpath_off_deselects_the_fast_path_tests():
    env = {**os.environ, "FASTPATH": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "core/tests/test_cache.py"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "3 deselected" in result.stdout, result.stdout + result.stderr
    assert "skipped" not in result.stdout
