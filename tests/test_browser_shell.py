"""The UI shell in a real browser: sign up, navigate, log out, log in."""

from __future__ import annotations

import pytest

from accounts.services import invitation_create
from kitchen.models import Recipe
from kitchen.tests.factories import PASSWORD, ChefFactory, RecipeFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_sign_up_then_log_out_and_back_in(page, live_server_url, settings):
    settings.SIGNUP = "invite"  # as the live server runs (tests/conftest.py)
    staff = ChefFactory(user__is_staff=True).user
    _, token = invitation_create(created_by=staff, note="new chef")
    page.goto(f"{live_server_url}/accounts/signup/?invite={token}")
    page.fill("input[name=username]", "newchef")
    page.fill("input[name=password1]", "a-Long-unusual-pass-42")
    page.fill("input[name=password2]", "a-Long-unusual-pass-42")
    page.fill("input[name=speciality]", "Grill")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server_url}/recipes/")
    assert page.get_by_role("link", name="Chat").is_visible()
    assert page.get_by_text("Welcome to the brigade, newchef.").is_visible()

    page.click("summary:has-text('newchef')")
    page.click("text=Log out")
    page.wait_for_url(f"{live_server_url}/accounts/login/")

    page.goto(f"{live_server_url}/accounts/signup/?invite={token}")  # the link worked once
    assert page.get_by_text("This invitation link is not valid").is_visible()

    log_in(page, live_server_url, "newchef", "a-Long-unusual-pass-42")
    page.wait_for_url(f"{live_server_url}/recipes/")


def test_recipe_names_render_as_text(page, live_server_url):
    chef = ChefFactory()
    recipe = RecipeFactory(owner=chef, name="<img src=x onerror=alert(1)>", status=Recipe.Status.DRAFT)
    log_in(page, live_server_url, chef.user.username)
    page.wait_for_url(f"{live_server_url}/recipes/")
    assert page.get_by_text(recipe.name).first.is_visible()
    assert page.locator("main img").count() == 0


def test_wrong_password_shows_an_error(page, live_server_url):
    chef = ChefFactory()
    log_in(page, live_server_url, chef.user.username, "wrong")
    assert page.locator(".errorlist").first.is_visible()
    assert page.url.endswith("/accounts/login/")
