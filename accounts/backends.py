"""Django's model backend; async requests get the signed-in user from a cache, without the password hash.

Every authenticated async request loads its user. It comes from Redis (native async, see
core/cache.py) instead of a database query in a worker thread, and async requests keep a
per-process copy on top (core/nearcache.py). What is cached is a small JSON object — id, names,
flags and the session-auth HMACs that Django compares with the session's — never the row, so no
password hash leaves the database; the request gets a read-only `SessionUser` built from it.

Sync requests (the admin, forms that change passwords, sockets through Channels) get the real
row from the database: one primary-key query, and everything Django does with a user works.

Saving or deleting a user drops the cached entry and the copies, in every process, at once and
again on commit (accounts/signals.py), so a password change, a deactivation or a new name is
seen by the next request. Writes that bypass model signals (`QuerySet.update`) are seen within
USER_CACHE_SECONDS. An entry made under other secret keys is not used.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import router
from django.utils.crypto import salted_hmac

from accounts.models import SessionUser
from core.fastpath.nearcache import NearCache

USER_CACHE_SECONDS = 300
near_users = NearCache("users", max_age=USER_CACHE_SECONDS, copy_value=copy.copy)

# What a request needs of its user; everything else loads from the database when touched.
CACHED_FIELDS = ("id", "username", "first_name", "last_name", "is_active", "is_staff", "is_superuser")


def user_cache_key(user_id) -> str:
    return f"auth:user:{user_id}"


@lru_cache(maxsize=4)
def _secrets_tag(secret_key: str, fallbacks: tuple[str, ...]) -> str:
    """Names the secret keys an entry's HMACs were made with (an HMAC, so it reveals none of them)."""
    return salted_hmac("brigade.accounts.user-cache", "\0".join(fallbacks), secret=secret_key).hexdigest()[:16]


def _current_secrets_tag() -> str:
    return _secrets_tag(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@lru_cache(maxsize=1)
def _cached_fields_in_model_order() -> tuple[str, ...]:
    """Model.from_db takes the loaded values in the order of the model's fields."""
    return tuple(f.attname for f in SessionUser._meta.concrete_fields if f.attname in CACHED_FIELDS)


def session_user_entry(user) -> str:
    """The JSON kept in Redis for `user`: the fields a request reads and the HMACs, no password hash."""
    entry = {name: getattr(user, name) for name in CACHED_FIELDS}
    entry["session_auth_hash"] = user.get_session_auth_hash()
    entry["session_auth_fallback_hashes"] = list(user.get_session_auth_fallback_hash())
    entry["secrets"] = _current_secrets_tag()
    return json.dumps(entry, separators=(",", ":"))


def session_user_from_entry(text: str) -> SessionUser | None:
    """The read-only user an entry describes, or None if it was made under other secret keys."""
    entry = json.loads(text)
    if entry.get("secrets") != _current_secrets_tag():
        return None
    names = _cached_fields_in_model_order()
    user = SessionUser.from_db(router.db_for_read(SessionUser), names, [entry[name] for name in names])
    user._session_auth_hash = entry["session_auth_hash"]
    user._session_auth_fallback_hashes = tuple(entry["session_auth_fallback_hashes"])
    return user


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        """The real row: sync code may change it, check its password or hand it to Django's forms."""
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        user = await near_users.get(str(user_id), lambda: self._aload(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None

    async def _aload(self, user_id) -> SessionUser | None:
        key = user_cache_key(user_id)
        text = await cache.aget(key)
        user = session_user_from_entry(text) if isinstance(text, str) else None
        if user is None:
            row = await get_user_model()._default_manager.filter(pk=user_id).afirst()
            if row is None:
                return None
            text = session_user_entry(row)
            await cache.aset(key, text, USER_CACHE_SECONDS)
            user = session_user_from_entry(text)
        return user
