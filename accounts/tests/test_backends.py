"""The signed-in user: async requests read a cached JSON entry without the password hash; sync ones the row."""

from __future__ import annotations

import json
import os

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import CachedModelBackend, session_user_entry, session_user_from_entry, user_cache_key
from accounts.models import SessionUser
from chat.services import room_enter
from core.redis_clients import sync_client
from kitchen.tests.factories import ChefFactory, RecipeFactory

pytestmark = pytest.mark.django_db


def _run(coroutine):
    """Await in a fresh event loop, as an async view under the sync test client does."""

    async def run():
        return await coroutine

    return async_to_sync(run)()


def cached_user(user_id):
    """The user an async request would get from Redis (or the database, caching it there).

    Below the per-process copies (core/nearcache.py, tested on their own), whose hub leaves
    tasks behind in the short-lived event loop each call here runs in.
    """
    return _run(CachedModelBackend()._aload(user_id))


# The cached backend itself: deselected with FASTPATH=0, where Django's ModelBackend is used.
@pytest.mark.fastpath
class TestTheCachedEntry:
    def test_is_json_with_the_session_hmac_and_no_password_hash(self):
        user = ChefFactory().user
        assert cached_user(user.pk) == user
        text = cache.get(user_cache_key(user.pk))
        entry = json.loads(text)
        assert "password" not in entry
        assert user.password not in text
        assert entry["session_auth_hash"] == user.get_session_auth_hash()
        assert entry["username"] == user.username

    def test_a_second_load_needs_no_query(self):
        user = ChefFactory().user
        cached_user(user.pk)
        with CaptureQueriesContext(connection) as queries:
            assert cached_user(user.pk).username == user.username
        assert len(queries) == 0

    def test_made_under_other_secret_keys_is_not_used(self, settings):
        user = ChefFactory().user
        text = session_user_entry(user)
        assert session_user_from_entry(text).get_session_auth_hash() == user.get_session_auth_hash()
        settings.SECRET_KEY = "another-" + "x" * 60
        assert session_user_from_entry(text) is None

    def test_an_old_pickled_entry_is_replaced(self):
        user = ChefFactory().user
        cache.set(user_cache_key(user.pk), user)  # as the previous version stored it
        assert cached_user(user.pk).username == user.username
        assert isinstance(cache.get(user_cache_key(user.pk)), str)


# The cached backend itself: deselected with FASTPATH=0, where Django's ModelBackend is used.
@pytest.mark.fastpath
class TestTheSessionUser:
    def test_answers_what_requests_read(self):
        user = ChefFactory(user__first_name="Lea", user__last_name="Moreau", user__is_staff=True).user
        cached = cached_user(user.pk)
        assert isinstance(cached, SessionUser)
        assert (cached.pk, cached.id, cached.get_username(), cached.get_full_name()) == (
            user.pk, user.pk, user.username, "Lea Moreau")  # fmt: skip
        assert cached.is_authenticated
        assert cached.is_active
        assert cached.is_staff
        assert not cached.is_superuser
        assert cached == user
        assert "password" not in cached.__dict__

    def test_cannot_be_saved_deleted_or_asked_for_its_password(self):
        user = ChefFactory().user
        cached = cached_user(user.pk)
        cached.first_name = "Changed"
        with pytest.raises(TypeError, match="read-only"):
            cached.save()
        with pytest.raises(TypeError, match="read-only"):
            cached.delete()
        with pytest.raises(TypeError, match="no password"):
            cached.check_password("anything")
        with pytest.raises(TypeError, match="no password"):
            cached.refresh_from_db()
        user.refresh_from_db()
        assert user.first_name == ""
        assert get_user_model().objects.filter(pk=user.pk).exists()

    def test_cannot_be_saved_from_async_code_either(self):
        user = ChefFactory().user
        cached = cached_user(user.pk)
        with pytest.raises(TypeError, match="read-only"):
            _run(cached.asave())
        with pytest.raises(TypeError, match="read-only"):
            _run(cached.adelete())

    def test_fields_left_out_load_from_the_database_in_sync_code(self):
        user = ChefFactory().user
        cached = cached_user(user.pk)
        assert cached.email == user.email

    def test_works_as_a_foreign_key_value(self):
        chef = ChefFactory()
        cached = cached_user(chef.user.pk)
        from kitchen.models import Chef

        assert Chef.objects.get(user=cached) == chef
        assert cached.chef == chef  # the relation loads by id

    def test_permissions_go_through_the_backend(self):
        user = ChefFactory(user__is_staff=True).user
        user.user_permissions.add(Permission.objects.get(codename="view_recipe"))
        cached = cached_user(user.pk)
        assert cached.has_perm("kitchen.view_recipe")
        assert not cached.has_perm("kitchen.delete_recipe")
        assert cached.has_module_perms("kitchen")
        assert not cached.has_module_perms("auth")


# The cached backend itself: deselected with FASTPATH=0, where Django's ModelBackend is used.
@pytest.mark.fastpath
class TestSyncRequestsGetTheRow:
    def test_the_real_row_for_the_admin_and_password_forms(self):
        user = ChefFactory().user
        loaded = CachedModelBackend().get_user(user.pk)
        assert type(loaded) is get_user_model()
        assert loaded.password == user.password
        assert cache.get(user_cache_key(user.pk)) is None  # nothing cached for it

    def test_an_inactive_or_deleted_user_is_refused(self):
        user = ChefFactory().user
        backend = CachedModelBackend()
        cached_user(user.pk)
        user.is_active = False
        user.save()
        assert backend.get_user(user.pk) is None
        assert _run(backend.aget_user(user.pk)) is None
        pk = user.pk
        get_user_model().objects.filter(pk=pk).delete()
        assert backend.get_user(pk) is None
        assert cached_user(pk) is None


# The cached backend itself: deselected with FASTPATH=0, where Django's ModelBackend is used.
@pytest.mark.fastpath
def test_saving_the_user_drops_the_cached_entry():
    user = ChefFactory().user
    cached_user(user.pk)
    user.first_name = "Renamed"
    user.save()
    assert cache.get(user_cache_key(user.pk)) is None
    assert cached_user(user.pk).first_name == "Renamed"


class TestSessions:
    def test_a_password_change_signs_out_other_sessions(self, client, password):
        user = ChefFactory().user
        assert client.post("/accounts/login/", {"username": user.username, "password": password}).status_code == 302
        assert client.get("/recipes/overview/").status_code == 200  # async: the user is now cached
        assert client.get("/recipes/").status_code == 200  # sync
        user.set_password("a-new-and-long-password")
        user.save()
        assert client.get("/recipes/overview/").status_code == 401
        assert client.get("/recipes/").status_code == 302

    def test_a_session_from_before_a_key_rotation_still_verifies(self, client, settings):
        user = ChefFactory().user
        client.force_login(user)  # its session hash is made with the current key
        old_key = settings.SECRET_KEY
        settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "rotated-" + "r" * 60, [old_key]
        assert client.get("/recipes/overview/").status_code == 200  # verified by the fallback, re-hashed
        settings.SECRET_KEY_FALLBACKS = []
        assert client.get("/recipes/overview/").status_code == 200

    def test_a_session_under_a_retired_key_is_signed_out(self, client, settings):
        user = ChefFactory().user
        client.force_login(user)
        settings.SECRET_KEY = "rotated-" + "r" * 60
        assert client.get("/recipes/overview/").status_code == 401


class TestTheAdmin:
    def test_a_superuser_uses_it_and_changes_their_password(self, client, password):
        user = ChefFactory(user__is_staff=True, user__is_superuser=True).user
        client.force_login(user)
        assert client.get("/admin/").status_code == 200
        assert client.get("/admin/auth/user/").status_code == 200
        response = client.post(
            "/admin/password_change/",
            {"old_password": password, "new_password1": "An0ther-long-pass", "new_password2": "An0ther-long-pass"},
        )
        assert response.status_code == 302
        assert client.get("/recipes/overview/").status_code == 200  # this session was kept

    def test_staff_see_only_what_they_are_allowed(self, client):
        user = ChefFactory(user__is_staff=True).user
        user.user_permissions.add(Permission.objects.get(codename="view_recipe"))
        client.force_login(user)
        assert client.get("/admin/kitchen/recipe/").status_code == 200
        assert client.get("/admin/auth/user/").status_code == 403


def redis_dump(pattern: str) -> dict[bytes, bytes]:
    """Every key matching `pattern` with its value(s) as bytes, whatever the key's type."""
    client, dump = sync_client(), {}
    for key in client.scan_iter(match=pattern, count=500):
        kind = client.type(key)
        if kind == b"string":
            parts = [client.get(key) or b""]
        elif kind == b"hash":
            parts = [b"%s=%s" % item for item in client.hgetall(key).items()]
        elif kind == b"list":
            parts = client.lrange(key, 0, -1)
        elif kind == b"set":
            parts = list(client.smembers(key))
        elif kind == b"zset":
            parts = client.zrange(key, 0, -1)
        elif kind == b"stream":
            parts = [repr(entry).encode() for entry in client.xrange(key)]
        else:
            parts = []
        dump[key] = b"\n".join(parts)
    return dump


@pytest.mark.fastpath  # with FASTPATH=0, Django's ModelBackend caches no user at all
def test_after_logging_in_and_browsing_no_key_in_redis_holds_a_password_hash(client, password):
    chef = ChefFactory(user__is_staff=True)
    user = chef.user
    recipe = RecipeFactory(owner=chef)
    room_enter(name="pass", user=user)
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302
    for path in ["/recipes/dashboard/", "/recipes/overview/", "/recipes/", f"/recipes/{recipe.pk}/",
                 "/chat/", "/chat/pass/", "/api/recipes", "/api/chefs", "/tasks/", "/accounts/profile/"]:  # fmt: skip
        assert client.get(path).status_code == 200, path
    assert cache.get(user_cache_key(user.pk)) is not None  # the async pages did cache the user

    ours = redis_dump(f"{os.environ['REDIS_KEY_PREFIX']}*")
    assert any(b"auth:user:" in key for key in ours)
    for key, value in ours.items():
        assert b"pbkdf2_sha256$" not in value, key
        assert b"django.contrib.auth.models" not in value, key  # no pickled User
        assert b"accounts.models" not in value, key
    everything = redis_dump("*")
    assert len(everything) >= len(ours)
    hash_bytes = user.password.encode()
    assert [key for key, value in everything.items() if hash_bytes in value] == []
