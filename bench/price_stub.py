"""A stand-in price feed for bench/async_views.py: answers every request after a fixed delay."""

from __future__ import annotations

import asyncio
import json
import os

DELAY = float(os.environ.get("STUB_DELAY", "0.2"))
BODY = json.dumps(
    [
        {"ingredient": name, "price": price, "currency": "EUR", "unit": unit, "observed_at": "2026-11-24"}
        for name, price, unit in [("Butter", "9.9", "kg"), ("Shallot", "4.3", "kg"), ("Egg", "0.33", "piece")]
    ]
).encode()


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await asyncio.sleep(DELAY)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})
