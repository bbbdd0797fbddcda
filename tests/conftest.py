"""Session-wide real servers for end-to-end tests: uvicorn on the test database, and Chromium."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers import Server, free_port, http_status, stack_env, wait_for

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
