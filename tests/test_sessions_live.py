"""Signed-in state on real uvicorn processes: each keeps a copy, and a change anywhere drops it everywhere."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from kitchen.tests.factories import PASSWORD, ChefFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(client: httpx.Client, base: str, username: str) -> None:
    page = client.get(f"{base}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    assert response.status_code == 302, response.text[:300]


def overview_status(client: httpx.Client, base: str) -> int:
    return client.get(f"{base}/recipes/overview/").status_code


def refused_within_a_second(get_status) -> bool:
    """The change reaches every process over pub/sub within milliseconds; copies would otherwise
    live for a minute (sessions) or five (users)."""
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        if get_status() == 401:
            return True
        time.sleep(0.02)
    return False


def test_logging_out_on_one_server_signs_out_on_the_other(live_server_url, second_live_server_url):
    user = ChefFactory(user__username="near-logout").user
    with httpx.Client(timeout=10) as client:  # cookies are per host, not per port: both servers see them
        login(client, live_server_url, user.username)
        # Both servers have now served (and kept a copy of) this session and user
        for _ in range(3):
            assert overview_status(client, second_live_server_url) == 200
            assert overview_status(client, live_server_url) == 200

        page = client.get(f"{live_server_url}/recipes/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        logout = client.post(
            f"{live_server_url}/accounts/logout/",
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": f"{live_server_url}/recipes/"},
        )
        assert logout.status_code in (200, 302)
        old_cookie = logout.request.headers["cookie"]

    # The old session cookie, replayed against the other server, is refused at once
    replay_url = f"{second_live_server_url}/recipes/overview/"
    with httpx.Client(timeout=10) as replay:
        assert refused_within_a_second(lambda: replay.get(replay_url, headers={"Cookie": old_cookie}).status_code)


def test_deactivating_a_user_signs_them_out_on_every_server(live_server_url, second_live_server_url):
    user = ChefFactory(user__username="near-deactivate").user
    with httpx.Client(timeout=10) as client:
        login(client, live_server_url, user.username)
        assert overview_status(client, second_live_server_url) == 200
        assert overview_status(client, live_server_url) == 200
        user.is_active = False
        user.save()  # in this process, as the admin would: both servers drop their copy
        assert refused_within_a_second(lambda: overview_status(client, second_live_server_url))
        assert refused_within_a_second(lambda: overview_status(client, live_server_url))
