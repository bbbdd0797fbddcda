"""Any chef creates a missing ingredient from the editor; the line naming it then resolves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pycrdt import Array, Map

from kitchen.collab import store
from kitchen.models import Ingredient, Recipe, RecipeDocument
from kitchen.services import ingredient_create
from kitchen.tests.factories import ChefFactory, IngredientFactory, RecipeFactory, RecipeIngredientFactory

pytestmark = pytest.mark.django_db

URL = reverse("kitchen:ingredient-create")


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def a_recipe_naming_quince() -> Recipe:
    """A draft whose document has a line naming an ingredient nobody has created, written back."""
    recipe = RecipeFactory(name="Quince tart", status=Recipe.Status.DRAFT)
    RecipeIngredientFactory(recipe=recipe, ingredient=IngredientFactory(name="Flour"), quantity=Decimal("200"))
    store.document_get_or_build(recipe_id=recipe.pk)
    doc = store.document_stored(recipe_id=recipe.pk).doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    with doc.transaction():
        doc.get("lines", type=Array).append(
            Map({"id": "quince", "ingredient": "quince ", "quantity": "2", "unit": "piece", "note": "", "pos": "z"})
        )
    store.document_append(recipe_id=recipe.pk, updates=[(update, None) for update in updates])
    report = store.document_write_back(recipe_id=recipe.pk).report
    assert report["unknown_ingredients"] == ["quince"]
    return recipe


class TestIngredientCreate:
    def test_a_name_is_kept_as_typed_outer_spaces_aside(self):
        ingredient = ingredient_create(name="  Quince ", unit="piece")
        assert (ingredient.name, ingredient.unit) == ("Quince", "piece")

    @pytest.mark.parametrize(
        "name, unit, message",
        [
            ("   ", "g", "Enter the ingredient's name."),
            ("x" * 101, "g", "An ingredient's name has at most 100 characters."),
            ("Quince", "bushel", "Choose the ingredient's unit from the list."),
            ("BUTTER", "g", "There is already an ingredient called “Butter”."),
        ],
    )
    def test_what_cannot_be_created_is_said_clearly(self, name, unit, message):
        IngredientFactory(name="Butter")
        with pytest.raises(ValidationError) as raised:
            ingredient_create(name=name, unit=unit)
        assert raised.value.messages == [message]
        assert Ingredient.objects.count() == 1

    def test_the_recipe_it_was_created_for_takes_it_at_once(self):
        # Given a line naming "quince " that the last write-back could not take
        recipe = a_recipe_naming_quince()
        # When a chef creates the ingredient for that recipe
        ingredient_create(name="Quince", unit="piece", for_recipe=recipe)
        # Then the line is written to the rows and no longer reported
        rows = recipe.recipe_ingredients.order_by("position").values_list("ingredient__name", "quantity", "doc_id")
        assert list(rows)[-1] == ("Quince", Decimal("2.000"), "quince")
        document = RecipeDocument.objects.get(recipe=recipe)
        assert document.report["unknown_ingredients"] == []
        assert document.written_seq == document.last_seq


class TestIngredientCreateView:
    def test_any_chef_who_edits_creates_it_and_the_line_resolves(self):
        recipe = a_recipe_naming_quince()
        helper = ChefFactory()  # not staff: a collaborator
        recipe.collaborators.add(helper)
        response = client_for(helper.user).post(URL, {"name": "Quince", "unit": "piece", "recipe": recipe.pk})
        assert response.status_code == 201
        assert response.json() == {"id": Ingredient.objects.get(name="Quince").pk, "name": "Quince", "unit": "piece"}
        assert store.document_report(recipe_id=recipe.pk)["unknown_ingredients"] == []

    def test_without_a_recipe_or_a_unit_it_is_created_in_grams(self):
        response = client_for(ChefFactory().user).post(URL, {"name": "Sumac"})
        assert response.status_code == 201
        assert Ingredient.objects.get(name="Sumac").unit == "g"

    def test_a_refusal_is_400_with_the_reason(self):
        IngredientFactory(name="Quince")
        response = client_for(ChefFactory().user).post(URL, {"name": "QUINCE"})
        assert response.status_code == 400
        assert response.json() == {"error": "There is already an ingredient called “Quince”."}

    def test_a_recipe_the_chef_may_not_edit_is_refused_and_nothing_is_created(self):
        recipe = a_recipe_naming_quince()
        stranger = client_for(ChefFactory().user)
        assert stranger.post(URL, {"name": "Quince", "recipe": recipe.pk}).status_code == 404  # a draft
        Recipe.objects.filter(pk=recipe.pk).update(status=Recipe.Status.COMPLETED)
        assert stranger.post(URL, {"name": "Quince", "recipe": recipe.pk}).status_code == 403  # read-only
        assert stranger.post(URL, {"name": "Quince", "recipe": "1e9"}).status_code == 404
        assert not Ingredient.objects.filter(name="Quince").exists()

    def test_it_takes_a_signed_in_post_with_the_csrf_token(self):
        chef = ChefFactory().user
        assert Client().post(URL, {"name": "Quince"})["Location"].startswith("/accounts/login/")
        assert client_for(chef).get(URL).status_code == 405
        assert client_for(chef, enforce_csrf_checks=True).post(URL, {"name": "Quince"}).status_code == 403
        assert not Ingredient.objects.filter(name="Quince").exists()
