"""Who may get in: SIGNUP=closed (production's default), invite (single-use, expiring links) or open."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from accounts.services import SignUpRefused, invitation_create, invitation_redeem, user_join
from brigade.config import BASE_DIR
from kitchen.models import Chef
from kitchen.tests.factories import ChefFactory

pytestmark = pytest.mark.django_db

SIGNUP_URL = reverse("accounts:signup")


def form(username: str = "newcook") -> dict:
    return {"username": username, "password1": "a-Long-unusual-pass-42", "password2": "a-Long-unusual-pass-42",
            "speciality": "Grill", "experience_years": 3}  # fmt: skip


@pytest.fixture
def staff():
    return ChefFactory(user__is_staff=True).user


class TestClosed:
    def test_is_the_default_with_production_settings(self, settings):
        assert not settings.DEBUG
        assert settings.SIGNUP == "closed"

    def test_sign_up_is_refused_with_a_clear_page_and_writes_nothing(self, client):
        page = client.get(SIGNUP_URL)
        assert page.status_code == 403
        assert "Sign-up is closed here. Ask an admin" in page.content.decode()
        assert client.post(SIGNUP_URL, form()).status_code == 403
        assert not get_user_model().objects.filter(username="newcook").exists()

    def test_pages_do_not_offer_sign_up(self, client):
        for path in ("/", "/accounts/login/"):
            assert SIGNUP_URL not in client.get(path).content.decode()

    def test_an_invitation_made_before_closing_is_refused(self, settings, staff, client):
        settings.SIGNUP = "invite"
        _, token = invitation_create(created_by=staff)
        settings.SIGNUP = "closed"
        assert client.post(f"{SIGNUP_URL}?invite={token}", form()).status_code == 403
        with pytest.raises(SignUpRefused):
            user_join(invitation_token=token, username="newcook", password="a-Long-unusual-pass-42")
        assert not get_user_model().objects.filter(username="newcook").exists()

    def test_no_invitations_are_made(self, staff, client):
        with pytest.raises(SignUpRefused, match="only when SIGNUP=invite"):
            invitation_create(created_by=staff)
        client.force_login(staff)
        response = client.post(reverse("accounts:invitations"), {"note": "x"})
        assert response.status_code == 400
        assert "only when SIGNUP=invite" in response.content.decode()
        assert not Invitation.objects.exists()


def test_the_default_is_open_with_debug_and_closed_without():
    def signup_setting(debug: str) -> str:
        env = {k: v for k, v in os.environ.items() if k not in {"SIGNUP", "DEBUG"}} | {"DEBUG": debug}
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", "from django.conf import settings; print(settings.SIGNUP)"],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return result.stdout.strip().splitlines()[-1]  # after the shell's own notice

    assert signup_setting("1") == "open"  # make run's demo
    assert signup_setting("0") == "closed"


class TestInvite:
    @pytest.fixture(autouse=True)
    def _invite(self, settings):
        settings.SIGNUP = "invite"

    def test_without_an_invitation_sign_up_is_refused(self, client):
        page = client.get(SIGNUP_URL)
        assert page.status_code == 403
        assert "by invitation only" in page.content.decode()
        assert client.post(SIGNUP_URL, form()).status_code == 403
        assert not get_user_model().objects.filter(username="newcook").exists()

    def test_staff_make_a_link_that_works_once(self, client, staff):
        client.force_login(staff)
        made = client.post(reverse("accounts:invitations"), {"note": "the new commis"})
        assert made.status_code == 201
        link = made.context["link"]
        assert link.startswith("http://testserver/accounts/signup/?invite=")
        invitation = Invitation.objects.get()
        assert invitation.token_hash not in link
        assert link.split("=")[-1] not in invitation.token_hash
        assert link not in client.get(reverse("accounts:invitations")).content.decode()  # shown once
        client.logout()

        path = link.removeprefix("http://testserver")
        assert client.get(path).status_code == 200
        assert client.post(path, form()).status_code == 302
        chef = Chef.objects.get(user__username="newcook")
        invitation.refresh_from_db()
        assert invitation.used_by == chef.user
        assert invitation.used_at is not None

        other = Client()
        page = other.get(path)
        assert page.status_code == 403
        assert "not valid" in page.content.decode()
        assert other.post(path, form("second")).status_code == 403
        assert not get_user_model().objects.filter(username="second").exists()

    def test_an_expired_invitation_is_refused(self, client, staff):
        invitation, token = invitation_create(created_by=staff)
        assert invitation.expires_at - timezone.now() > timedelta(days=6)
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert client.get(f"{SIGNUP_URL}?invite={token}").status_code == 403
        assert client.post(f"{SIGNUP_URL}?invite={token}", form()).status_code == 403
        assert not get_user_model().objects.filter(username="newcook").exists()

    def test_a_made_up_token_is_refused(self, client):
        assert client.get(f"{SIGNUP_URL}?invite=made-up").status_code == 403

    def test_a_failed_sign_up_does_not_spend_the_invitation(self, client, staff):
        _, token = invitation_create(created_by=staff)
        ChefFactory(user__username="taken")
        assert client.post(f"{SIGNUP_URL}?invite={token}", form("taken")).status_code == 400
        assert client.post(f"{SIGNUP_URL}?invite={token}", form("newcook")).status_code == 302

    def test_only_staff_invite(self, client, chef):
        with pytest.raises(SignUpRefused, match="Only staff"):
            invitation_create(created_by=chef.user)
        assert client.get(reverse("accounts:invitations")).status_code == 302  # to the log-in page
        client.force_login(chef.user)
        assert client.get(reverse("accounts:invitations")).status_code == 403
        assert client.post(reverse("accounts:invitations"), {"note": "x"}).status_code == 403
        assert not Invitation.objects.exists()

    def test_an_invitation_is_spent_once(self, staff):
        _, token = invitation_create(created_by=staff)
        first, second = ChefFactory().user, ChefFactory().user
        invitation_redeem(token=token, user=first)
        with pytest.raises(SignUpRefused):
            invitation_redeem(token=token, user=second)
        assert Invitation.objects.get().used_by == first


@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_racing_for_one_invitation_make_one_account(settings):
    settings.SIGNUP = "invite"
    _, token = invitation_create(created_by=ChefFactory(user__is_staff=True).user)
    start, outcomes = threading.Barrier(2), {}

    def sign_up(username: str) -> None:
        try:
            start.wait()
            user_join(invitation_token=token, username=username, password="a-Long-unusual-pass-42")
            outcomes[username] = "joined"
        except SignUpRefused:
            outcomes[username] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(name,)) for name in ("racer1", "racer2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["joined", "refused"]
    assert get_user_model().objects.filter(username__startswith="racer").count() == 1
    assert Chef.objects.filter(user__username__startswith="racer").count() == 1


def test_open_sign_up_needs_no_invitation(settings, client):
    settings.SIGNUP = "open"
    assert SIGNUP_URL in client.get("/accounts/login/").content.decode()
    assert client.post(SIGNUP_URL, form()).status_code == 302
    assert Chef.objects.filter(user__username="newcook").exists()
