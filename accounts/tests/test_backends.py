"""The cached user: served from Redis, dropped whenever the user row changes."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import CachedModelBackend, user_cache_key
from kitchen.tests.factories import ChefFactory

pytestmark = pytest.mark.django_db


@pytest.mark.fastpath
def test_the_second_load_needs_no_query():
    user = ChefFactory().user
    backend = CachedModelBackend()
    assert backend.get_user(user.pk) == user
    with CaptureQueriesContext(connection) as queries:
        assert backend.get_user(user.pk) == user
    assert len(queries) == 0


@pytest.mark.fastpath
def test_saving_the_user_drops_the_cached_copy():
    user = ChefFactory().user
    backend = CachedModelBackend()
    backend.get_user(user.pk)
    user.first_name = "Renamed"
    user.save()
    assert cache.get(user_cache_key(user.pk)) is None
    assert backend.get_user(user.pk).first_name == "Renamed"


@pytest.mark.fastpath
def test_an_inactive_or_deleted_user_is_refused():
    user = ChefFactory().user
    backend = CachedModelBackend()
    backend.get_user(user.pk)
    user.is_active = False
    user.save()
    assert backend.get_user(user.pk) is None
    pk = user.pk
    get_user_model().objects.filter(pk=pk).delete()
    assert backend.get_user(pk) is None


@pytest.mark.fastpath
@pytest.mark.django_db(transaction=True)
async def test_async_load_uses_the_same_entry():
    from asgiref.sync import sync_to_async

    user = (await sync_to_async(ChefFactory)()).user
    backend = CachedModelBackend()
    assert await backend.aget_user(user.pk) == user
    assert cache.get(user_cache_key(user.pk)) == user
    assert await backend.aget_user(10**9) is None


def test_a_password_change_signs_out_other_sessions(client, password):
    user = ChefFactory().user
    assert client.login(username=user.username, password=password)
    assert client.get("/recipes/overview/").status_code == 200  # the user is now cached
    user.set_password("a-new-and-long-password")
    user.save()
    assert client.get("/recipes/overview/").status_code == 401
