from __future__ import annotations

from decimal import Decimal

import pytest

from kitchen.models import Ingredient, IngredientPrice
from kitchen.tests.factories import ChefFactory, IngredientFactory


@pytest.fixture
def admin_client(client):
    chef = ChefFactory(user__is_staff=True, user__is_superuser=True)
    client.force_login(chef.user)
    return client


@pytest.mark.django_db
def test_adding_a_price_in_the_admin_goes_through_the_pricing_service(admin_client):
    butter = IngredientFactory(name="Butter", unit="g", current_price=None, priced_at=None)
    response = admin_client.post(
        "/admin/kitchen/ingredientprice/add/",
        {
            "ingredient": butter.pk,
            "price": "12.00",
            "currency": "EUR",
            "unit": "kg",
            "observed_at_0": "2026-11-24",
            "observed_at_1": "00:00:00",
        },
    )
    assert response.status_code in (200, 302)
    butter.refresh_from_db()
    price = IngredientPrice.objects.get(ingredient=butter)
    assert price.source == "admin"
    assert butter.current_price == Decimal("0.0120")


@pytest.mark.django_db(transaction=True)
def test_the_refresh_action_records_the_bundled_list(admin_client):
    butter = Ingredient.objects.create(name="Butter", unit="kg")
    response = admin_client.post(
        "/admin/kitchen/ingredient/", {"action": "refresh_prices", "_selected_action": [butter.pk]}, follow=True
    )
    assert "price(s) changed" in response.content.decode()
    butter.refresh_from_db()
    assert butter.current_price == Decimal("9.8000")


@pytest.mark.django_db
def test_the_admin_pages_load(admin_client):
    urls = ["/admin/kitchen/recipe/", "/admin/kitchen/ingredient/", "/admin/kitchen/ingredientprice/"]
    urls += ["/admin/chat/room/", "/admin/accounts/apitoken/", "/admin/kitchen/recipe/add/"]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_a_recipe_saved_in_the_admin_reaches_its_shared_document(admin_client):
    from decimal import Decimal

    from kitchen.collab import schema, store
    from kitchen.models import Recipe, RecipeCompletion
    from kitchen.tests.factories import IngredientFactory, RecipeFactory, RecipeIngredientFactory

    recipe = RecipeFactory(name="Gratin", status=Recipe.Status.DRAFT)
    line = RecipeIngredientFactory(recipe=recipe, ingredient=IngredientFactory(name="Potato"), quantity=Decimal(1))
    store.document_get_or_build(recipe_id=recipe.pk)
    line.refresh_from_db()
    # When staff rename it, change the line's quantity and complete it in the admin
    response = admin_client.post(
        f"/admin/kitchen/recipe/{recipe.pk}/change/",
        {
            "name": "Gratin dauphinois", "description": "", "owner": recipe.owner.pk, "servings": 4,
            "prep_time": 30, "difficulty": "medium", "status": "completed",
            "recipe_ingredients-TOTAL_FORMS": 1, "recipe_ingredients-INITIAL_FORMS": 1,
            "recipe_ingredients-0-id": line.pk, "recipe_ingredients-0-recipe": recipe.pk,
            "recipe_ingredients-0-ingredient": line.ingredient.pk, "recipe_ingredients-0-quantity": "2.5",
            "recipe_ingredients-0-unit": "kg", "recipe_ingredients-0-note": "", "recipe_ingredients-0-position": 1,
            "steps-TOTAL_FORMS": 0, "steps-INITIAL_FORMS": 0,
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    # Then the document holds the change, the line keeps its id, and the completion is recorded
    content = schema.read(store.document_stored(recipe_id=recipe.pk).doc())
    assert content["name"] == "Gratin dauphinois"
    assert content["meta"]["status"] == "completed"
    assert [(item["id"], item["quantity"], item["unit"]) for item in content["lines"]] == [(line.doc_id, "2.5", "kg")]
    assert RecipeCompletion.objects.filter(recipe=recipe).count() == 1
