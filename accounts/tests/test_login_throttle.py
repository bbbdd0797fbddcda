"""Log-in attempts are throttled per account and per client address, revealing nothing about accounts."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.throttle import client_address
from kitchen.tests.factories import ChefFactory

pytestmark = pytest.mark.django_db

MESSAGE = re.compile(r"Too many attempts; try again in \d+ minutes?\.")


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 20
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 7 * 24 * 3600  # nothing refills while a test runs


def attempt(username: str, password: str, *, address: str = "192.0.2.10", path: str = "/accounts/login/"):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def without_echoes(body: str, username: str) -> str:
    """The page without what differs by design: the CSRF token and the name the visitor typed."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body).replace(username, "NAME")


def test_repeated_wrong_passwords_are_throttled_the_same_for_an_account_and_for_no_account(password):
    existing = ChefFactory().user.username
    bodies = []
    for username in (existing, "nobody-by-that-name"):
        for _ in range(5):
            response = attempt(username, "wrong-password")
            assert response.status_code == 200
            assert "Please enter a correct username and password" in response.content.decode()
        throttled = attempt(username, "wrong-password")
        assert throttled.status_code == 429
        assert MESSAGE.search(throttled.content.decode())
        bodies.append(without_echoes(throttled.content.decode(), username))
    assert bodies[0] == bodies[1]
    # Throttled means throttled: even the right password waits, and no session is made.
    right = Client(REMOTE_ADDR="192.0.2.10")
    assert right.post("/accounts/login/", {"username": existing, "password": password}).status_code == 429
    assert "_auth_user_id" not in right.session


def test_the_account_limit_holds_from_any_address(password):
    username = ChefFactory().user.username
    for number in range(5):
        assert attempt(username, "wrong-password", address=f"198.51.100.{number}").status_code == 200
    assert attempt(username, password, address="203.0.113.7").status_code == 429


def test_successes_are_not_counted(password):
    username = ChefFactory().user.username
    for _ in range(4):
        assert attempt(username, "wrong-password").status_code == 200
    for _ in range(3):
        assert attempt(username, password).status_code == 302
    assert attempt(username, "wrong-password").status_code == 200  # the fifth failure
    assert attempt(username, password).status_code == 429


def test_a_throttled_address_blocks_other_usernames(settings, password):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    username = ChefFactory().user.username
    for number in range(3):
        assert attempt(f"guess{number}", "wrong-password", address="192.0.2.66").status_code == 200
    response = attempt(username, password, address="192.0.2.66")
    assert response.status_code == 429
    assert MESSAGE.search(response.content.decode())
    assert attempt(username, password, address="192.0.2.67").status_code == 302


def test_the_admin_log_in_is_throttled_too(password):
    user = ChefFactory(user__is_staff=True).user
    for _ in range(5):
        assert attempt(user.username, "wrong-password", path="/admin/login/").status_code == 200
    response = attempt(user.username, password, path="/admin/login/")
    assert response.status_code == 200  # not the redirect into the admin
    assert MESSAGE.search(response.content.decode())


def test_one_ipv6_host_is_one_address():
    from django.test import RequestFactory

    def address(raw: str) -> str:
        return client_address(RequestFactory().get("/", REMOTE_ADDR=raw))

    assert address("2001:db8:1:2::1") == address("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address("2001:db8:1:3::1") != address("2001:db8:1:2::1")
    assert address("::ffff:192.0.2.1") == "192.0.2.1"
    assert address("192.0.2.1") == "192.0.2.1"
