"""Session-wide real servers for end-to-end tests: uvicorn on the test database, and Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from brigade.config import BASE_DIR
from tests.helpers import clean_env, free_port, http_status, wait_for

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    user = quote(settings.get("USER") or "")
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def stack_env() -> dict[str, str]:
    """The environment of this test run, for processes that must share its database and Redis."""
    keep = {
        name: os.environ[name]
        for name in ("REDIS_URL", "SECRET_KEY", "CELERY_QUEUE", "CACHE_KEY_PREFIX", "CHANNEL_LAYER_PREFIX")
    }
    return clean_env(
        **keep,
        DATABASE_URL=_database_url(),
        DEBUG="0",
        STATIC_COLLECTED="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        BRIGADE_VAR_DIR=os.environ["BRIGADE_VAR_DIR"],
        EMAIL_BACKEND=os.environ.get("EMAIL_BACKEND", ""),
        SIGNUP="invite",  # production's default is closed; the browser signs up with an invitation
    )


class Server:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._handle = log.open("wb")
        self.process = subprocess.Popen(
            args, cwd=BASE_DIR, env=env, stdout=self._handle, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._handle.close()


def start_uvicorn(env: dict[str, str], log_dir: Path) -> tuple[Server, str]:
    port = free_port()
    server = Server(
        [sys.executable, "-m", "uvicorn", "brigade.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--loop", "uvloop", "--http", "httptools", "--no-access-log"],
        env,
        log_dir / f"uvicorn-{port}.log",
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if server.process.poll() is not None:
            raise AssertionError(f"uvicorn exited:\n{server.output()[-3000:]}")
        return http_status(f"{base}/accounts/login/") == 200

    wait_for(up, timeout=60, what="uvicorn to serve the login page")
    return server, base


def _serve(django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        env = stack_env()
    server, base = start_uvicorn(env, tmp_path_factory.mktemp("live"))
    yield base
    server.stop()


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker, tmp_path_factory) -> str:
    """A real uvicorn process serving Brigade from the test database."""
    yield from _serve(django_db_blocker, tmp_path_factory)


@pytest.fixture(scope="session")
def second_live_server_url(live_server_url, django_db_blocker, tmp_path_factory) -> str:
    """Another uvicorn process on the same database and Redis, as on a second machine."""
    yield from _serve(django_db_blocker, tmp_path_factory)


@pytest.fixture
def session_cookie():
    """Log a user in through Django's session machinery and return the cookie value."""
    from django.test import Client

    def make(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    return make


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which trips Django's
    # async-safety guard for the test's own factory calls. The servers under test are separate
    # processes with the guard intact.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not on PATH (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
