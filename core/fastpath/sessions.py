"""Sessions: Django's cached_db engine, plus a per-process copy for async requests.

The database stays the record and Redis the shared cache (Django's `cached_db`). On top, async
loads keep a copy in this process (core/nearcache.py), dropped in every process when the
session is saved or deleted (login, logout, key rotation, any change), and after at most
NEAR_SECONDS, so an expired session is refused within that.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib.sessions.backends import cached_db

from core.fastpath.nearcache import NearCache

NEAR_SECONDS = 60
_near = NearCache("sessions", max_age=NEAR_SECONDS)


class SessionStore(cached_db.SessionStore):
    async def aload(self) -> dict[str, Any]:
        if not self.session_key:
            return await super().aload()
        data = await _near.get(self.session_key, self._aload_known)
        return {} if data is None else data

    async def _aload_known(self) -> dict[str, Any] | None:
        """None for an unknown or expired session, so that it is never kept."""
        return await super().aload() or None

    def save(self, must_create: bool = False) -> None:
        super().save(must_create=must_create)
        _near.invalidate_on_commit(cast(str, self.session_key))  # save() has set it

    async def asave(self, must_create: bool = False) -> None:
        await super().asave(must_create=must_create)
        await _near.ainvalidate(cast(str, self.session_key))  # asave() has set it

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        super().delete(session_key)
        if key:
            _near.invalidate_on_commit(key)

    async def adelete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        await super().adelete(session_key)
        if key:
            await _near.ainvalidate(key)
