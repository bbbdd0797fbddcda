"""Backoff for retrying transient failures (SMTP down, a network blip): exponential, capped, jittered."""

from __future__ import annotations

import random


def backoff_seconds(tries: int, *, base: float, cap: float) -> float:
    """How long to wait before try number `tries + 1`: base·2^tries capped at `cap`, with "equal jitter"
    (a random point in its upper half), so that many tasks failing together do not return together."""
    if tries < 0 or base <= 0 or cap <= 0:
        raise ValueError(f"backoff needs tries >= 0 and positive base and cap, got {tries}, {base}, {cap}")
    ceiling: float = min(cap, base * 2.0 ** min(tries, 32))
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 (spreading retries, not a secret)
