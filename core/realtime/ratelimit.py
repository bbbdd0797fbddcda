"""A token bucket kept in Redis, so a limit holds across every server process."""

from __future__ import annotations

from core.redis_clients import async_client, sync_client
from core.redis_clients import key as redis_key

# Takes ARGV[3] tokens (0: only looks) if the bucket has a whole one; returns 0 if it has, else
# the ms until it will. Redis's own clock keeps every process on one time line.
_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or burst
local ts = tonumber(data[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
if tokens < 1 then
  return math.ceil((1 - tokens) / rate * 1000)
end
if cost > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - cost), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
end
return 0
"""


async def allow(*, scope: str, key: str, rate: float, burst: int) -> bool:
    """Take one token from the bucket `scope:key` (rate tokens/s, at most burst saved)."""
    return int(await async_client().eval(_BUCKET_LUA, 1, redis_key("rl", scope, key), rate, burst, 1)) == 0


def take(*, scope: str, key: str, rate: float, burst: int) -> bool:
    """allow() for sync code."""
    return int(sync_client().eval(_BUCKET_LUA, 1, redis_key("rl", scope, key), rate, burst, 1)) == 0


def wait_seconds(*, scope: str, key: str, rate: float, burst: int) -> float:
    """Seconds until the bucket `scope:key` has a token to give (0: it has one now); takes none."""
    return int(sync_client().eval(_BUCKET_LUA, 1, redis_key("rl", scope, key), rate, burst, 0)) / 1000
