from __future__ import annotations

import pytest
from django.urls import reverse

from kitchen.models import Recipe
from kitchen.tests.factories import ChefFactory, RecipeFactory, RecipeIngredientFactory, StepFactory

pytestmark = pytest.mark.django_db


class TestRecipePages:
    def test_anonymous_visitors_are_sent_to_login(self, client):
        response = client.get(reverse("kitchen:recipe-list"))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_list_shows_completed_recipes_and_own_drafts_only(self, chef_client, chef):
        RecipeFactory(name="Shared soup", status=Recipe.Status.COMPLETED)
        RecipeFactory(name="My draft", owner=chef, status=Recipe.Status.DRAFT)
        RecipeFactory(name="Secret draft", status=Recipe.Status.DRAFT)
        shared_with_me = RecipeFactory(name="Team draft", status=Recipe.Status.DRAFT)
        shared_with_me.collaborators.add(chef)

        body = chef_client.get(reverse("kitchen:recipe-list")).content.decode()

        assert "Shared soup" in body
        assert "My draft" in body
        assert "Team draft" in body
        assert "Secret draft" not in body

    def test_someone_elses_draft_is_not_found(self, chef_client):
        draft = RecipeFactory(status=Recipe.Status.DRAFT, owner=ChefFactory())
        assert chef_client.get(reverse("kitchen:recipe-detail", args=[draft.pk])).status_code == 404

    def test_detail_lists_ingredients_and_steps_in_order(self, chef_client):
        line = RecipeIngredientFactory(ingredient__name="Shallot", position=1)
        StepFactory(recipe=line.recipe, position=2, text="Second, reduce.")
        StepFactory(recipe=line.recipe, position=1, text="First, chop.")

        body = chef_client.get(reverse("kitchen:recipe-detail", args=[line.recipe.pk])).content.decode()

        assert "Shallot" in body
        assert body.index("First, chop.") < body.index("Second, reduce.")

    def test_names_are_escaped(self, chef_client, chef):
        RecipeFactory(owner=chef, name="<script>alert(1)</script>")
        body = chef_client.get(reverse("kitchen:recipe-list")).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;" in body
