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


def recipe_post(ingredient, **overrides):
    data = {
        "name": "Sauce vierge",
        "description": "Warm olive oil dressing.",
        "servings": "4",
        "prep_time": "15",
        "difficulty": "easy",
        "status": "draft",
        "steps": "Dice the tomatoes.\n\nWarm the oil.\n",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-ingredient": str(ingredient.pk),
        "lines-0-quantity": "250",
        "lines-0-unit": "g",
        "lines-0-note": "",
        "lines-1-ingredient": "",
        "lines-1-quantity": "",
        "lines-1-unit": "g",
        "lines-1-note": "",
    }
    data.update(overrides)
    return data


class TestRecipeForms:
    def test_a_chef_creates_a_recipe_with_lines_and_steps(self, chef_client, chef):
        from kitchen.tests.factories import IngredientFactory

        oil = IngredientFactory(name="Olive oil", unit="kg")
        response = chef_client.post(reverse("kitchen:recipe-create"), recipe_post(oil))
        assert response.status_code == 302
        recipe = Recipe.objects.get(name="Sauce vierge")
        assert recipe.owner == chef
        assert [s.text for s in recipe.steps.order_by("position")] == ["Dice the tomatoes.", "Warm the oil."]
        assert [(line.ingredient, line.quantity) for line in recipe.recipe_ingredients.all()] == [(oil, 250)]

    def test_invalid_input_is_400_and_writes_nothing(self, chef_client):
        from kitchen.tests.factories import IngredientFactory

        oil = IngredientFactory()
        bad = recipe_post(oil, servings="0", **{"lines-0-quantity": "-2"})
        response = chef_client.post(reverse("kitchen:recipe-create"), bad)
        assert response.status_code == 400
        assert b"errorlist" in response.content
        assert not Recipe.objects.exists()

    def test_the_edit_page_is_the_live_editor_read_only_for_other_chefs_and_hidden_from_the_rest(
        self, chef_client, chef, client
    ):
        recipe = RecipeFactory(owner=chef, name="Old name", status="completed")
        url = reverse("kitchen:recipe-edit", args=[recipe.pk])
        page = chef_client.get(url)
        assert page.status_code == 200
        assert b'data-can-edit="true"' in page.content
        assert b"kitchen/editor.bundle.js" in page.content
        assert b"<script>" not in page.content  # configuration through data-* attributes only

        # a completed recipe is visible to every chef, who may watch it being edited
        client.force_login(ChefFactory().user)
        assert b'data-can-edit="false"' in client.get(url).content
        assert client.post(url, {"name": "Hijacked"}).status_code == 405  # no form to post to
        # a draft is nobody else's business
        draft = RecipeFactory(owner=chef, status="draft")
        assert client.get(reverse("kitchen:recipe-edit", args=[draft.pk])).status_code == 404


class TestMarkAsCompleted:
    def test_a_collaborator_completes_a_draft_once_and_a_completion_is_recorded(self, client):
        from kitchen.models import RecipeCompletion

        recipe = RecipeFactory(status="draft")
        helper = ChefFactory()
        recipe.collaborators.add(helper)
        client.force_login(helper.user)

        assert client.post(f"/recipes/{recipe.pk}/complete/")["Location"] == f"/recipes/{recipe.pk}/"
        client.post(f"/recipes/{recipe.pk}/complete/")  # again: already completed

        recipe.refresh_from_db()
        assert recipe.status == "completed"
        assert list(RecipeCompletion.objects.values_list("recipe_id", "by_id")) == [(recipe.pk, helper.user_id)]

    def test_others_may_not_and_get_is_not_allowed(self, client):
        recipe = RecipeFactory(status="draft")
        client.force_login(ChefFactory().user)
        assert client.post(f"/recipes/{recipe.pk}/complete/").status_code == 404  # a draft they cannot see
        client.force_login(recipe.owner.user)
        assert client.get(f"/recipes/{recipe.pk}/complete/").status_code == 405
