"""The /api/ endpoints: auth (session + CSRF, tokens), permissions, validation, errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from accounts.services import api_token_create
from kitchen.models import Ingredient, IngredientPrice, Recipe
from kitchen.tests.factories import ChefFactory, IngredientFactory, RecipeFactory, RecipeIngredientFactory

pytestmark = pytest.mark.django_db


def post(client, url, payload, **headers):
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)


def patch(client, url, payload, **headers):
    return client.patch(url, data=json.dumps(payload), content_type="application/json", **headers)


@pytest.fixture
def butter():
    return IngredientFactory(name="Butter", unit="kg", current_price=Decimal("10"))


@pytest.fixture
def token_headers(chef):
    _, secret = api_token_create(user=chef.user, name="script")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def new_recipe(butter, **overrides):
    return {
        "name": "Beurre blanc",
        "servings": 4,
        "difficulty": "medium",
        "ingredients": [{"ingredient_id": butter.pk, "quantity": "200", "unit": "g"}],
        "steps": ["Reduce.", "Mount with butter."],
        **overrides,
    }


class TestAuth:
    def test_anonymous_is_401_json(self, client):
        response = client.get("/api/recipes")
        assert response.status_code == 401
        assert response.json()["error"] == "authentication required"

    def test_a_bad_token_is_401(self, client):
        assert client.get("/api/recipes", HTTP_AUTHORIZATION="Bearer brg_nope").status_code == 401

    def test_a_token_works_for_reads_and_writes_without_csrf(self, client, token_headers, butter):
        assert client.get("/api/recipes", **token_headers).status_code == 200
        assert post(client, "/api/recipes", new_recipe(butter), **token_headers).status_code == 201

    def test_session_writes_need_the_csrf_token(self, chef, butter):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(chef.user)
        assert browser.get("/api/recipes").status_code == 200
        assert post(browser, "/api/recipes", new_recipe(butter)).status_code == 403
        browser.get("/accounts/profile/")  # sets the csrftoken cookie
        token = browser.cookies["csrftoken"].value
        assert post(browser, "/api/recipes", new_recipe(butter), HTTP_X_CSRFTOKEN=token).status_code == 201


class TestRecipes:
    def test_create_returns_the_recipe_with_cost(self, chef_client, chef, butter):
        response = post(chef_client, "/api/recipes", new_recipe(butter))
        assert response.status_code == 201
        body = response.json()
        assert body["chef"] == str(chef)
        assert body["cost"]["total"] == "2.00"
        assert [s["text"] for s in body["steps"]] == ["Reduce.", "Mount with butter."]
        assert Recipe.objects.get(pk=body["id"]).owner == chef

    def test_list_filters_and_paginates_only_visible_recipes(self, chef_client, chef):
        for i in range(3):
            RecipeFactory(owner=chef, name=f"Mine {i}", status="completed")
        RecipeFactory(name="Hidden draft", status="draft")
        body = chef_client.get("/api/recipes?limit=2&offset=0&status=completed").json()
        assert body["count"] == 3
        assert len(body["items"]) == 2
        assert all(item["name"].startswith("Mine") for item in body["items"])
        assert chef_client.get("/api/recipes?q=hidden").json()["count"] == 0

    def test_others_drafts_are_404_and_others_recipes_are_403_to_edit(self, chef_client):
        owner = ChefFactory()
        draft = RecipeFactory(owner=owner, status="draft")
        shared = RecipeFactory(owner=owner, status="completed")
        assert chef_client.get(f"/api/recipes/{draft.pk}").status_code == 404
        assert patch(chef_client, f"/api/recipes/{shared.pk}", {"name": "Mine now"}).status_code == 403
        assert chef_client.delete(f"/api/recipes/{shared.pk}").status_code == 403
        shared.refresh_from_db()
        assert shared.name != "Mine now"

    def test_a_collaborator_may_edit_but_not_delete(self, chef_client, chef, butter):
        recipe = RecipeFactory(status="draft")
        recipe.collaborators.add(chef)
        response = patch(
            chef_client,
            f"/api/recipes/{recipe.pk}",
            {"servings": 8, "ingredients": [{"ingredient_id": butter.pk, "quantity": "1", "unit": "kg"}]},
        )
        assert response.status_code == 200
        assert response.json()["cost"]["per_serving"] == "1.25"
        assert chef_client.delete(f"/api/recipes/{recipe.pk}").status_code == 403

    def test_the_owner_deletes(self, chef_client, chef):
        recipe = RecipeFactory(owner=chef)
        assert chef_client.delete(f"/api/recipes/{recipe.pk}").status_code == 204
        assert not Recipe.objects.filter(pk=recipe.pk).exists()

    @pytest.mark.parametrize(
        "changes",
        [
            {"name": ""},
            {"name": 5},
            {"servings": 0},
            {"servings": "many"},
            {"difficulty": "impossible"},
            {"ingredients": [{"ingredient_id": 999999, "quantity": "1", "unit": "g"}]},
            {"ingredients": [{"ingredient_id": 1, "quantity": "-1", "unit": "g"}]},
            {"ingredients": [{"ingredient_id": 1, "quantity": "NaN", "unit": "g"}]},
            {"ingredients": [{"ingredient_id": 1, "quantity": "1", "unit": "furlong"}]},
            {"category_ids": [123456]},
            {"steps": ["x"] * 101},
        ],
    )
    def test_invalid_input_is_422_and_writes_nothing(self, chef_client, butter, changes):
        response = post(chef_client, "/api/recipes", new_recipe(butter, **changes))
        assert response.status_code == 422, response.content
        assert response.json()["error"] == "the request is not valid"
        assert not Recipe.objects.exists()

    @pytest.mark.parametrize(
        "body", [b"{not json", b"", b"[]", b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}", b"\xff\xfe"]
    )
    def test_malformed_bodies_are_4xx_json(self, chef_client, body):
        response = chef_client.post("/api/recipes", data=body, content_type="application/json")
        assert 400 <= response.status_code < 500
        assert "error" in response.json()
        assert not Recipe.objects.exists()

    @pytest.mark.parametrize(
        "url", ["/api/recipes/0", "/api/recipes/99999999999999999999", "/api/recipes/abc", "/api/recipes?limit=100000"]
    )
    def test_bad_ids_and_huge_pages_are_4xx(self, chef_client, url):
        response = chef_client.get(url)
        assert 400 <= response.status_code < 500
        assert "error" in response.json()


class TestIngredients:
    def test_detail_includes_price_history(self, chef_client, butter):
        line = RecipeIngredientFactory(ingredient=butter)
        assert line.pk
        IngredientPrice.objects.create(ingredient=butter, price=Decimal("9"), currency="EUR", unit="kg",
                                       source="test", observed_at="2026-11-01T00:00:00Z")  # fmt: skip
        body = chef_client.get(f"/api/ingredients/{butter.pk}").json()
        assert body["history"][0]["price"] == "9.0000"

    def test_only_staff_record_prices(self, chef_client, chef, butter):
        url = f"/api/ingredients/{butter.pk}/prices"
        assert post(chef_client, url, {"price": "12", "unit": "kg"}).status_code == 403
        chef.user.is_staff = True
        chef.user.save()
        response = post(chef_client, url, {"price": "12", "unit": "kg"})
        assert response.status_code == 201
        assert response.json()["price"] == "12.0000"
        assert IngredientPrice.objects.filter(ingredient=butter, source="api").exists()

    @pytest.mark.parametrize("payload", [{"price": "0", "unit": "kg"}, {"price": "NaN", "unit": "kg"},
                                         {"price": "1e9", "unit": "kg"}, {"price": "2", "unit": "piece"}])  # fmt: skip
    def test_bad_prices_are_rejected_and_the_old_price_kept(self, chef_client, chef, butter, payload):
        chef.user.is_staff = True
        chef.user.save()
        response = post(chef_client, f"/api/ingredients/{butter.pk}/prices", payload)
        assert response.status_code == 422
        assert Ingredient.objects.get(pk=butter.pk).current_price == Decimal("10")


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/recipes" in schema["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content  # served here, no CDN needed
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("category_id", [0, -1, 2**63, -(2**70)])
def test_category_ids_out_of_the_database_range_are_a_422_not_a_500(chef_client, category_id):
    response = post(chef_client, "/api/recipes", {"name": "Stock", "category_ids": [category_id]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:3] == ["body", "payload", "category_ids"]
