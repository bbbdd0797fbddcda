"""Django's model backend with the signed-in user cached, so an async request never waits on a thread.

Every authenticated request loads its user. Here it comes from Redis (native async, see
core/cache.py) instead of a database query in a worker thread, and async requests keep a
per-process copy on top (core/nearcache.py). Saving or deleting a user drops both, in every
process, at once and again on commit (accounts/signals.py), so a password change, a
deactivation or a new name is seen by the next request. Writes that bypass model signals
(`QuerySet.update`) are seen within USER_CACHE_SECONDS.
"""

from __future__ import annotations

import copy

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from core.fastpath.nearcache import NearCache

USER_CACHE_SECONDS = 300
near_users = NearCache("users", max_age=USER_CACHE_SECONDS, copy_value=copy.copy)


def user_cache_key(user_id) -> str:
    return f"auth:user:{user_id}"


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = cache.get(user_cache_key(user_id))
        if user is None:
            user = get_user_model()._default_manager.filter(pk=user_id).first()
            if user is None:
                return None
            cache.set(user_cache_key(user_id), user, USER_CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        user = await near_users.get(str(user_id), lambda: self._aload(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None

    async def _aload(self, user_id):
        user = await cache.aget(user_cache_key(user_id))
        if user is None:
            user = await get_user_model()._default_manager.filter(pk=user_id).afirst()
            if user is None:
                return None
            await cache.aset(user_cache_key(user_id), user, USER_CACHE_SECONDS)
        return user
