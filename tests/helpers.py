"""Helpers for end-to-end tests that start real processes."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

import httpx
import psutil

# Settings the tests' own process uses but a freshly started Brigade must not inherit.
BRIGADE_ENV_NAMES = {
    "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "STATIC_COLLECTED", "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "EMAIL_BACKEND", "CELERY_QUEUE",
    "CACHE_KEY_PREFIX", "CHANNEL_LAYER_PREFIX", "BRIGADE_VAR_DIR", "DJANGO_SETTINGS_MODULE", "PORT", "HOST",
    "SIGNUP", "INVITATION_DAYS", "LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_SECONDS",
}  # fmt: skip


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
