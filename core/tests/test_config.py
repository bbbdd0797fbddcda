"""Bad configuration stops every entry point with one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from brigade.config import BASE_DIR, ConfigurationError, celery_redis_url, env_bool, env_int

GOOD_ENV = {
    "SECRET_KEY": "s" * 60,
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DEBUG": "0",
}


def run_check(**overrides: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "DEBUG"}}
    env.update(GOOD_ENV)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "overrides,expected",
    [
        ({"DATABASE_URL": "mysql://db/x"}, "DATABASE_URL must start with postgres:// or sqlite://"),
        ({"DATABASE_URL": "postgres://host:notaport/x"}, "DATABASE_URL is malformed"),
        ({"REDIS_URL": None}, "REDIS_URL is required"),
        ({"REDIS_URL": "http://localhost"}, "REDIS_URL must start with redis://"),
        ({"REDIS_URL": "redis://localhost:99999/0"}, "REDIS_URL has a bad port"),
        ({"SECRET_KEY": None}, "SECRET_KEY is required"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be a random string"),
        ({"DEBUG": "maybe"}, "DEBUG must be true or false"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must list host names"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a whole number"),
        ({"SIGNUP": "sometimes"}, "SIGNUP must be one of closed, invite, open"),
    ],
)
def test_bad_configuration_is_one_line(overrides, expected):
    result = run_check(**overrides)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]], result.stderr
    assert lines[0].startswith("brigade: configuration error: ")
    assert expected in lines[0]


def test_good_configuration_passes_the_system_check():
    result = run_check()
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deploy_check():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    env.update(GOOD_ENV, ALLOWED_HOSTS="brigade.example.com", SECRET_KEY="x7" * 30 + "Qz-9!")
    env.pop("STATIC_COLLECTED", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


class TestParsers:
    def test_bool(self, monkeypatch):
        monkeypatch.setenv("X", "Yes")
        assert env_bool("X", default=False) is True
        monkeypatch.setenv("X", "off")
        assert env_bool("X", default=True) is False

    def test_int_bounds(self, monkeypatch):
        monkeypatch.setenv("X", "70000")
        with pytest.raises(ConfigurationError, match="between 1 and 65535"):
            env_int("X", default=1, minimum=1, maximum=65535)

    def test_unix_socket_url_becomes_kombu_url(self):
        assert celery_redis_url("unix:///tmp/r.sock?db=3") == "redis+socket:///tmp/r.sock?virtual_host=3"
        assert celery_redis_url("redis://h:1/2") == "redis://h:1/2"


def test_the_inline_middleware_keeps_the_security_headers(client):
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_removing_the_security_middleware_is_reported(settings):
    from core.checks import security_middleware_present

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "Security" not in m]
    assert [w.id for w in security_middleware_present(None)] == ["brigade.W001"]


@pytest.mark.django_db
async def test_async_requests_get_the_same_headers_and_csrf(async_client, settings):
    settings.SIGNUP = "open"  # so that only CSRF can refuse the post below
    response = await async_client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert "csrftoken" in response.cookies
    from django.test import AsyncClient

    strict = AsyncClient(enforce_csrf_checks=True)
    assert (await strict.post("/accounts/signup/", {"username": "x"})).status_code == 403
