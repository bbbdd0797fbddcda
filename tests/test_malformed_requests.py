"""Malformed requests against the live server: each class the outside fuzz found gets a 4xx, never a 500."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from accounts.services import api_token_create
from kitchen.models import Recipe
from kitchen.tests.factories import PASSWORD, ChefFactory, IngredientFactory, RecipeFactory
from tests.helpers import browser_session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BEYOND_64_BITS = 99999999999999999999
NO_BOUNDARY = {"Content-Type": "multipart/form-data"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def kitchen(live_server_url):
    staff = ChefFactory(user__is_staff=True)
    butter = IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"))
    recipe = RecipeFactory(owner=staff)
    token, secret = api_token_create(user=staff.user, name="script")
    session = browser_session(live_server_url, staff.user.username, PASSWORD)
    return {"butter": butter, "recipe": recipe, "token": token, "session": session,
            "bearer": {"Authorization": f"Bearer {secret}"}}  # fmt: skip


def form_posts(kitchen) -> list[str]:
    recipe, token = kitchen["recipe"], kitchen["token"]
    return ["/accounts/login/", "/accounts/signup/", "/accounts/profile/", "/accounts/tokens/",
            f"/accounts/tokens/{token.pk}/revoke/", "/accounts/password_change/", "/accounts/logout/", "/chat/",
            "/recipes/new/", f"/recipes/{recipe.pk}/edit/", "/admin/login/"]  # fmt: skip


def api_posts(kitchen) -> list[str]:
    return ["/api/recipes", f"/api/ingredients/{kitchen['butter'].pk}/prices", "/api/prices/refresh"]


class TestMultipartWithoutABoundary:
    def test_every_form_answers_400_signed_in_or_not(self, live_server_url, kitchen):
        for path in form_posts(kitchen):
            anonymous = httpx.post(live_server_url + path, content=b"x", headers=NO_BOUNDARY)
            signed_in = httpx.post(live_server_url + path, content=b"x", headers={**NO_BOUNDARY, **kitchen["session"]})
            assert (path, anonymous.status_code, signed_in.status_code) == (path, 400, 400)

    def test_every_api_write_answers_400_through_the_session_and_never_500_with_a_token(self, live_server_url, kitchen):
        for path in api_posts(kitchen):
            session = httpx.post(live_server_url + path, content=b"x", headers={**NO_BOUNDARY, **kitchen["session"]})
            assert (path, session.status_code) == (path, 400)
            assert session.json()["error"] == "the request body is malformed"
            token = httpx.post(live_server_url + path, content=b"x", headers={**NO_BOUNDARY, **kitchen["bearer"]})
            # A body-less operation (refresh) ignores the body; the others cannot parse it.
            assert token.status_code in (200, 400), (path, token.status_code, token.text[:300])

    def test_an_empty_boundary_is_400_and_a_truncated_body_is_never_a_server_error(self, live_server_url, kitchen):
        empty = {"Content-Type": "multipart/form-data; boundary=", **kitchen["session"]}
        for path in ("/api/recipes", "/chat/"):
            assert httpx.post(live_server_url + path, content=b"x", headers=empty).status_code == 400
        headers = {"Content-Type": "multipart/form-data; boundary=b", **kitchen["session"]}
        for truncated in (b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nroom', b"--b\r\nContent-Disp"):
            # Django reads the parts that are complete; the API then finds no JSON (400).
            assert httpx.post(live_server_url + "/api/recipes", content=truncated, headers=headers).status_code == 400
            assert httpx.post(live_server_url + "/chat/", content=truncated, headers=headers).status_code < 500


class TestIntegersBeyondTheDatabase:
    def test_ids_in_lists_and_paths_are_422_in_the_api(self, live_server_url, kitchen):
        headers = kitchen["bearer"]
        for payload in (
            {"name": "x", "category_ids": [BEYOND_64_BITS]},
            {"name": "x", "ingredients": [{"ingredient_id": BEYOND_64_BITS, "quantity": "1", "unit": "g"}]},
            {"name": "x", "servings": BEYOND_64_BITS},
        ):
            response = httpx.post(f"{live_server_url}/api/recipes", json=payload, headers=headers)
            assert response.status_code == 422, response.text[:300]
        for path in (f"/api/recipes/{BEYOND_64_BITS}", f"/api/ingredients/{BEYOND_64_BITS}",
                     f"/api/recipes?offset={BEYOND_64_BITS}"):  # fmt: skip
            assert httpx.get(live_server_url + path, headers=headers).status_code == 422, path
        assert httpx.delete(f"{live_server_url}/api/recipes/{BEYOND_64_BITS}", headers=headers).status_code == 422
        assert not Recipe.objects.exclude(pk=kitchen["recipe"].pk).exists()

    def test_pages_with_such_ids_are_404(self, live_server_url, kitchen):
        for path in (f"/recipes/{BEYOND_64_BITS}/", f"/recipes/{BEYOND_64_BITS}/edit/",
                     f"/recipes/ingredients/{BEYOND_64_BITS}/", f"/chat/recipe-{BEYOND_64_BITS}/"):  # fmt: skip
            response = httpx.get(live_server_url + path, headers=kitchen["session"])
            assert (path, response.status_code) == (path, 404)
        revoke = httpx.post(f"{live_server_url}/accounts/tokens/{BEYOND_64_BITS}/revoke/", headers=kitchen["session"])
        assert revoke.status_code == 302  # nothing revoked, back to the profile

    def test_a_form_with_such_ids_is_a_form_error(self, live_server_url, kitchen):
        form = {"name": "x", "servings": "1", "prep_time": "1", "difficulty": "easy", "status": "draft",
                "categories": str(BEYOND_64_BITS), "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
                "lines-0-ingredient": str(BEYOND_64_BITS), "lines-0-quantity": "1", "lines-0-unit": "g"}  # fmt: skip
        response = httpx.post(f"{live_server_url}/recipes/new/", data=form, headers=kitchen["session"])
        assert response.status_code == 400
        assert "Select a valid choice" in response.text


class TestStringsTheDatabaseCannotStore:
    @pytest.mark.parametrize(
        "body",
        [
            b'{"name": "a\\ud83d"}',
            b'{"name": "a", "description": "\\udc00"}',
            b'{"name": "a", "steps": ["\\ud83d"]}',
            b'{"name": "a", "ingredients": [{"ingredient_id": 1, "quantity": "1", "unit": "g", "note": "\\ud83d"}]}',
        ],
    )
    def test_a_lone_surrogate_is_422(self, live_server_url, kitchen, body):
        response = httpx.post(f"{live_server_url}/api/recipes", content=body, headers={**JSON, **kitchen["bearer"]})
        assert response.status_code == 422, response.text[:300]

    def test_a_surrogate_pair_is_one_character_and_kept(self, live_server_url, kitchen):
        body = b'{"name": "Tarte \\ud83e\\udd67"}'
        response = httpx.post(f"{live_server_url}/api/recipes", content=body, headers={**JSON, **kitchen["bearer"]})
        assert response.status_code == 201
        assert response.json()["name"] == "Tarte 🥧"

    @pytest.mark.parametrize("name", ["\x01\x02", "\u200b", "x\x1b[2J", "\u202eevil"])
    def test_control_character_names_are_422(self, live_server_url, kitchen, name):
        response = httpx.post(f"{live_server_url}/api/recipes", json={"name": name}, headers=kitchen["bearer"])
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "payload", "name"]

    @pytest.mark.parametrize(
        "observed_at", ["0001-01-01T00:00:00+12:00", "9999-12-31T23:59:59-12:00", "3026-01-01T00:00:00Z", 0, True]
    )
    def test_dates_a_database_cannot_store_or_from_the_future_are_422(self, live_server_url, kitchen, observed_at):
        payload = {"price": "9.5", "unit": "kg", "observed_at": observed_at}
        url = f"{live_server_url}/api/ingredients/{kitchen['butter'].pk}/prices"
        response = httpx.post(url, json=payload, headers=kitchen["bearer"])
        assert response.status_code == 422, response.text[:300]
        assert response.json()["detail"][0]["loc"] == ["body", "payload", "observed_at"]

    def test_an_offset_beyond_what_postgresql_takes_is_stored_in_utc(self, live_server_url, kitchen):
        payload = {"price": "9.5", "unit": "kg", "observed_at": "2026-01-01T00:00:00-17:07"}
        url = f"{live_server_url}/api/ingredients/{kitchen['butter'].pk}/prices"
        response = httpx.post(url, json=payload, headers=kitchen["bearer"])
        assert response.status_code == 201, response.text[:300]

    def test_control_characters_in_query_filters_are_422(self, live_server_url, kitchen):
        response = httpx.get(f"{live_server_url}/api/recipes?q=%00", headers=kitchen["bearer"])
        assert response.status_code == 422
