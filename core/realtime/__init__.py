"""Real-time delivery: the per-process hub (hub.py), each socket's outbox (outbox.py), the base
consumer (consumers.py), strict frame parsing (messages.py) and the shared rate limit (ratelimit.py)."""
