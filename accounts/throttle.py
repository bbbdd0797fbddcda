"""Failed log-ins, counted per account and per client address in Redis (core/ratelimit.py).

Each key has a token bucket of LOGIN_FAILURES_PER_* tokens that refills over
LOGIN_FAILURE_WINDOW_SECONDS; a failure takes a token, and an empty bucket refuses further
attempts — right or wrong — until it refills. Successes take nothing. Buckets are keyed by the
typed name whether or not such an account exists, so the answer reveals nothing about accounts.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import unicodedata

from django.conf import settings
from django.http import HttpRequest

from core.realtime import ratelimit


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR (behind a proxy, uvicorn's --proxy-headers sets it); IPv6 by /64, as one host holds a /64."""
    raw = request.META.get("REMOTE_ADDR") or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _buckets(*, username: str, address: str) -> list[dict]:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    account = unicodedata.normalize("NFKC", username).strip().casefold()
    per_account, per_address = settings.LOGIN_FAILURES_PER_ACCOUNT, settings.LOGIN_FAILURES_PER_ADDRESS
    return [
        {"scope": "login-account", "key": hashlib.sha256(account.encode()).hexdigest()[:32],
         "rate": per_account / window, "burst": per_account},
        {"scope": "login-address", "key": address, "rate": per_address / window, "burst": per_address},
    ]  # fmt: skip


def login_wait_seconds(*, username: str, address: str) -> float:
    """0 if this log-in may be tried now, else the seconds until it may."""
    return max(ratelimit.wait_seconds(**bucket) for bucket in _buckets(username=username, address=address))


def login_failure_record(*, username: str, address: str) -> None:
    for bucket in _buckets(username=username, address=address):
        ratelimit.take(**bucket)


def throttled_message(wait_seconds: float) -> str:
    minutes = max(1, math.ceil(wait_seconds / 60))
    return f"Too many attempts; try again in {minutes} minute{'s' if minutes != 1 else ''}."
