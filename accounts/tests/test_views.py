from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from kitchen.models import Chef

pytestmark = pytest.mark.django_db


class TestSignUp:
    @pytest.fixture(autouse=True)
    def _open_signup(self, settings):
        settings.SIGNUP = "open"

    def test_signing_up_creates_a_user_with_a_chef_profile_and_logs_in(self, client):
        response = client.post(
            reverse("accounts:signup"),
            {
                "username": "newcook",
                "email": "new@example.com",
                "password1": "a-Long-unusual-pass-42",
                "password2": "a-Long-unusual-pass-42",
                "speciality": "Grill",
                "experience_years": 3,
            },
        )
        assert response.status_code == 302
        chef = Chef.objects.get(user__username="newcook")
        assert chef.speciality == "Grill"
        page = client.get(reverse("kitchen:recipe-list"))
        assert page.status_code == 200
        assert "Welcome to the brigade, newcook." in page.content.decode()  # the message survived the redirect
        assert "Welcome" not in client.get(reverse("kitchen:recipe-list")).content.decode()  # shown once

    def test_bad_input_shows_errors_and_writes_nothing(self, client):
        response = client.post(
            reverse("accounts:signup"),
            {"username": "x y!", "password1": "short", "password2": "other", "experience_years": "-4"},
        )
        assert response.status_code == 400
        assert b"errorlist" in response.content
        assert not get_user_model().objects.exists()
        assert not Chef.objects.exists()

    def test_csrf_is_enforced(self):
        from django.test import Client

        response = Client(enforce_csrf_checks=True).post(reverse("accounts:signup"), {"username": "a"})
        assert response.status_code == 403


class TestLogin:
    def test_login_form_has_username_and_password_fields(self, client):
        body = client.get("/accounts/login/").content.decode()
        assert 'name="username"' in body
        assert 'name="password"' in body

    def test_login_with_the_right_password(self, client, chef, password):
        response = client.post("/accounts/login/", {"username": chef.user.username, "password": password})
        assert response.status_code == 302
        assert response["Location"] == reverse("kitchen:recipe-list")

    def test_login_with_a_wrong_password_fails(self, client, chef):
        response = client.post("/accounts/login/", {"username": chef.user.username, "password": "nope"})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


class TestProfile:
    def test_profile_update(self, chef_client, chef):
        response = chef_client.post(
            reverse("accounts:profile"),
            {"first_name": "Ada", "last_name": "Cook", "speciality": "Fish", "experience_years": 12},
        )
        assert response.status_code == 302
        chef.refresh_from_db()
        assert (chef.speciality, chef.experience_years, chef.user.first_name) == ("Fish", 12, "Ada")

    def test_invalid_profile_is_rejected(self, chef_client, chef):
        response = chef_client.post(reverse("accounts:profile"), {"experience_years": 500})
        assert response.status_code == 400
        chef.refresh_from_db()
        assert chef.experience_years == 5


class TestApiTokens:
    def test_a_token_is_shown_once_works_and_can_be_revoked(self, chef_client, chef):
        response = chef_client.post(reverse("accounts:token-create"), {"name": "nightly"})
        assert response.status_code == 201
        secret = response.context["new_secret"]
        assert secret.startswith("brg_")
        assert secret not in chef_client.get(reverse("accounts:profile")).content.decode()
        token = chef.user.api_tokens.get()
        assert token.key_hash != secret

        from django.test import Client

        assert Client().get("/api/recipes", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
        chef_client.post(reverse("accounts:token-revoke", args=[token.pk]))
        assert Client().get("/api/recipes", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401

    def test_someone_elses_token_cannot_be_revoked(self, chef_client):
        from accounts.services import api_token_create
        from kitchen.tests.factories import ChefFactory

        other = ChefFactory().user
        token, _ = api_token_create(user=other, name="theirs")
        chef_client.post(reverse("accounts:token-revoke", args=[token.pk]))
        assert other.api_tokens.filter(pk=token.pk).exists()
