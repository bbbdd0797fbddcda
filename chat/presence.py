"""Who is in a room, across every server process: a Redis sorted set of connections with expiry."""

from __future__ import annotations

import asyncio
import time

from core.realtime.hub import apublish
from core.redis_clients import REDIS_DOWN, LoopLocal, async_client, key, sync_client

TTL_SECONDS = 60  # a connection that has not pinged for this long is gone (e.g. its process died)
ANNOUNCE_DELAY = 0.3  # joins and leaves within this window go out as one presence event
LISTED_USERS = 100  # a presence event names at most this many people and counts the rest


def _key(room: str) -> str:
    return key("presence", room)


def _member(connection_id: str, user_id: int, username: str) -> str:
    return f"{connection_id}:{user_id}:{username}"


async def presence_touch(*, room: str, connection_id: str, user_id: int, username: str) -> None:
    await async_client().zadd(_key(room), {_member(connection_id, user_id, username): time.time() + TTL_SECONDS})


async def presence_leave(*, room: str, connection_id: str, user_id: int, username: str) -> None:
    await async_client().zrem(_key(room), _member(connection_id, user_id, username))


async def presence_list(*, room: str) -> list[dict]:
    """Distinct users with a live connection, sorted by name."""
    client = async_client()
    presence_key = _key(room)
    now = time.time()
    async with client.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(presence_key, "-inf", now)
        pipe.zrange(presence_key, 0, -1)
        pipe.expire(presence_key, TTL_SECONDS * 2)
        _, members, _ = await pipe.execute()
    users: dict[int, str] = {}
    for raw in members:
        _, user_id, username = raw.decode().split(":", 2)
        users[int(user_id)] = username
    return [{"id": uid, "name": name} for uid, name in sorted(users.items(), key=lambda item: item[1].lower())]


def presence_counts(*, rooms: list[str]) -> dict[str, int | None]:
    """Online users per room (sync: for the room list page); None for each while Redis is unreachable."""
    now = time.time()
    try:
        with sync_client().pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.zrangebyscore(_key(room), now, "+inf")
            results = pipe.execute()
    except REDIS_DOWN:
        return dict.fromkeys(rooms)
    return {
        room: len({raw.decode().split(":", 2)[1] for raw in members})
        for room, members in zip(rooms, results, strict=True)
    }


_pending: LoopLocal[dict[str, asyncio.Task]] = LoopLocal(dict)


async def presence_announce(*, room: str, topic: str) -> None:
    """Tell the room who is here, coalescing bursts (a join storm is not N^2 events)."""
    pending = _pending.get()
    if room in pending:
        return

    async def announce() -> None:
        await asyncio.sleep(ANNOUNCE_DELAY)
        pending.pop(room, None)
        users = await presence_list(room=room)
        await apublish(topic, {"type": "presence", "count": len(users), "users": users[:LISTED_USERS]})

    pending[room] = asyncio.create_task(announce())
