"""Bad configuration stops every entry point with one clear line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from brigade.config import (
    BASE_DIR,
    ConfigurationError,
    celery_broker_url,
    celery_redis_url,
    database_config,
    env_bool,
    env_int,
    pool_settings,
)

GOOD_ENV = {
    "SECRET_KEY": "s" * 60,
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DEBUG": "0",
}


def run_check(**overrides: str | None) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "DEBUG"} and not k.startswith("DB_")
    }
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
        ({"CELERY_BROKER_URL": "sqs://key:secret@"}, "CELERY_BROKER_URL must start with amqp://"),
        ({"CELERY_BROKER_URL": "amqp://"}, "CELERY_BROKER_URL needs a host"),
        ({"JOBS_HEARTBEAT_SECONDS": "20"}, "JOBS_STALE_SECONDS must be at least twice JOBS_HEARTBEAT_SECONDS"),
        ({"DB_POOL_MIN": "12", "DB_POOL_MAX": "4"}, "DB_POOL_MIN must not exceed DB_POOL_MAX (4), got 12"),
        ({"DB_CONN_MAX_AGE": "60"}, "DB_CONN_MAX_AGE applies only without the pool (DB_POOL_MAX=0)"),
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


@pytest.mark.parametrize("fastpath", ["1", "0"])
def test_production_settings_pass_the_deploy_check(fastpath):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_"))}
    env.update(GOOD_ENV, ALLOWED_HOSTS="brigade.example.com", SECRET_KEY="x7" * 30 + "Qz-9!", FASTPATH=fastpath)
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

    def test_the_broker_is_redis_unless_rabbitmq_is_named(self, monkeypatch):
        monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
        assert celery_broker_url("unix:///tmp/r.sock?db=1") == "redis+socket:///tmp/r.sock?virtual_host=1"
        monkeypatch.setenv("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
        assert celery_broker_url("redis://h:1/2") == "amqp://guest:guest@127.0.0.1:5672//"


class TestDatabaseConfig:
    """PostgreSQL connections come from psycopg's pool; SQLite stays a file opened per connection."""

    URL = "postgres://brigade:secret@db.internal:5433/brigade"

    def config(self, monkeypatch, **env: str) -> dict:
        for name in ("DB_POOL_MIN", "DB_POOL_MAX", "DB_POOL_TIMEOUT", "DB_CONN_MAX_AGE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return database_config(pool=pool_settings())

    def test_postgres_uses_the_pool_by_default(self, monkeypatch):
        config = self.config(monkeypatch, DATABASE_URL=self.URL)
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10}
        assert config["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool
        assert config["CONN_HEALTH_CHECKS"] is True  # the pool checks a connection before lending it

    def test_the_pool_is_sized_from_the_environment(self, monkeypatch):
        config = self.config(monkeypatch, DATABASE_URL=self.URL, DB_POOL_MIN="0", DB_POOL_MAX="40", DB_POOL_TIMEOUT="3")
        assert config["OPTIONS"]["pool"] == {"min_size": 0, "max_size": 40, "timeout": 3}

    def test_no_pool_means_a_connection_per_call_or_persistent_ones(self, monkeypatch):
        config = self.config(monkeypatch, DATABASE_URL=self.URL, DB_POOL_MAX="0")
        assert "pool" not in config.get("OPTIONS", {})
        assert config["CONN_MAX_AGE"] == 0
        config = self.config(monkeypatch, DATABASE_URL=self.URL, DB_POOL_MAX="0", DB_CONN_MAX_AGE="60")
        assert config["CONN_MAX_AGE"] == 60

    def test_sqlite_has_no_pool(self, monkeypatch, tmp_path):
        config = self.config(monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
        assert config["ENGINE"] == "django.db.backends.sqlite3"
        assert "pool" not in config["OPTIONS"]

    def test_the_settings_module_builds_the_pool_from_database_url(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
        env.update(GOOD_ENV, DATABASE_URL=self.URL, DB_POOL_MAX="7", DJANGO_SETTINGS_MODULE="brigade.settings")
        code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['pool'])"
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.stdout.strip() == "{'min_size': 2, 'max_size': 7, 'timeout': 10}", result.stderr


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
