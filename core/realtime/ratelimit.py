"""A token bucket kept in Redis, so a limit holds across every server process."""

from __future__ import annotations

from core.redis_clients import async_client
from core.redis_clients import key as redis_key

# Redis's own clock keeps every process on one time line.
_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or burst
local ts = tonumber(data[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return allowed
"""


async def allow(*, scope: str, key: str, rate: float, burst: int) -> bool:
    """Take one token from the bucket `scope:key` (rate tokens/s, at most burst saved)."""
    return bool(await async_client().eval(_BUCKET_LUA, 1, redis_key("rl", scope, key), rate, burst))
