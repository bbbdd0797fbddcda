"""Finding recipes: search, filters, sorting and pages on /recipes/, and the API on the same selector."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse

from chat.models import Message, Room
from kitchen import selectors
from kitchen.models import Recipe
from kitchen.tests.factories import CategoryFactory, ChefFactory, RecipeFactory

pytestmark = pytest.mark.django_db

LIST = reverse("kitchen:recipe-list")


def names(recipes) -> list[str]:
    async def read() -> list[str]:
        return [recipe.name async for recipe in recipes]

    return async_to_sync(read)()


def discuss(recipe: Recipe, times: int) -> None:
    room = Room.objects.create(name=f"recipe-{recipe.pk}", recipe=recipe)
    Message.objects.bulk_create(Message(room=room, author=recipe.owner.user, body="Lovely") for _ in range(times))


@pytest.fixture
def kitchen(chef):
    """Given a small kitchen: two other chefs, categories, and recipes of every kind."""
    lea, marco = ChefFactory(user__username="lea"), ChefFactory(user__username="marco")
    sauces, desserts = CategoryFactory(name="Sauces", slug="sauces"), CategoryFactory(name="Desserts", slug="desserts")
    blanc = RecipeFactory(name="Beurre blanc", owner=lea, difficulty="medium", description="Butter sauce for fish.")
    blanc.categories.add(sauces)
    anglaise = RecipeFactory(name="Crème anglaise", owner=marco, difficulty="medium", description="Vanilla custard.")
    anglaise.categories.add(sauces, desserts)
    crepes = RecipeFactory(name="Crêpes", owner=marco, difficulty="easy", prep_time=10, description="Thin pancakes.")
    crepes.categories.add(desserts)
    RecipeFactory(name="My draft", owner=chef, difficulty="hard", status=Recipe.Status.DRAFT)
    RecipeFactory(name="Lea's secret", owner=lea, difficulty="hard", status=Recipe.Status.DRAFT)
    return {"blanc": blanc, "anglaise": anglaise, "crepes": crepes}


class TestRecipesSearch:
    def test_filters_combine_and_keep_to_what_the_user_may_see(self, chef, kitchen):
        search = lambda **f: sorted(names(selectors.recipes_search(user=chef.user, **f)))  # noqa: E731
        assert search() == ["Beurre blanc", "Crème anglaise", "Crêpes", "My draft"]
        assert search(q="BUTTER") == ["Beurre blanc"]  # in the description, any case
        assert search(q="crê") == ["Crêpes"]
        assert search(chef="marco") == ["Crème anglaise", "Crêpes"]
        assert search(chef="lea") == ["Beurre blanc"]  # not Lea's draft
        assert search(category="desserts", difficulty="medium") == ["Crème anglaise"]
        assert search(status="draft") == ["My draft"]
        assert search(chef="nobody") == []

    def test_sorts(self, chef, kitchen):
        discuss(kitchen["anglaise"], 3)
        discuss(kitchen["crepes"], 1)
        by = lambda sort: names(selectors.recipes_search(user=chef.user, status="completed", sort=sort))  # noqa: E731
        assert by("popular") == ["Crème anglaise", "Crêpes", "Beurre blanc"]
        assert by("name") == ["Beurre blanc", "Crème anglaise", "Crêpes"]
        assert by("quickest")[0] == "Crêpes"
        assert by("newest") == ["Crêpes", "Crème anglaise", "Beurre blanc"]

    def test_an_unknown_sort_is_a_programming_error(self, chef):
        with pytest.raises(ValueError, match="unknown sort"):
            selectors.recipes_search(user=chef.user, sort="random")


class TestRecipeListPage:
    def test_filters_are_applied_and_kept_in_the_form(self, chef_client, kitchen):
        response = chef_client.get(LIST, {"q": "sauce", "chef": "lea", "difficulty": "medium", "sort": "name"})
        body = response.content.decode()
        assert response.status_code == 200
        assert "Beurre blanc" in body
        assert "Crêpes" not in body
        assert 'value="sauce"' in body
        assert '<option value="lea" selected>' in body
        assert '<option value="medium" selected>' in body
        assert '<option value="name" selected>' in body
        assert "1 recipe matches." in body

    def test_the_chef_name_links_to_their_recipes(self, chef_client, kitchen):
        body = chef_client.get(LIST).content.decode()
        assert 'href="?chef=marco"' in body

    @pytest.mark.parametrize(
        "query",
        [
            {"chef": "abc"},
            {"difficulty": "zzz"},
            {"status": "deleted"},
            {"category": "nope"},
            {"sort": "random"},
            {"page": "-1"},
            {"page": "abc"},
            {"page": "99999999999999999999"},
            {"q": "x" * 500},
            {"q": "\x00"},
        ],
    )
    def test_bad_values_are_ignored_with_a_message_never_an_error(self, chef_client, kitchen, query):
        response = chef_client.get(LIST, query)
        assert response.status_code == 200
        body = response.content.decode()
        assert "Beurre blanc" in body  # the filter was left out, not applied
        if "page" not in query:
            assert "Some filters were ignored" in body

    def test_pages_of_25_keep_the_filters(self, chef_client, chef):
        RecipeFactory.create_batch(27, owner=chef, difficulty="easy")
        first = chef_client.get(LIST, {"difficulty": "easy"}).content.decode()
        assert first.count("<article>") == 25
        assert "Page 1 of 2" in first
        assert 'href="?difficulty=easy&amp;page=2"' in first
        last = chef_client.get(LIST, {"difficulty": "easy", "page": "7"}).content.decode()
        assert last.count("<article>") == 2
        assert "Page 2 of 2" in last

    def test_the_number_of_queries_does_not_grow_with_the_recipes(self, chef_client, chef, django_assert_num_queries):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        sauces = CategoryFactory()
        RecipeFactory(owner=chef).categories.add(sauces)
        chef_client.get(LIST)  # the session and user are cached after the first request
        with CaptureQueriesContext(connection) as few:
            assert chef_client.get(LIST, {"sort": "popular"}).status_code == 200
        for _ in range(20):
            RecipeFactory(owner=ChefFactory()).categories.add(sauces, CategoryFactory())
        with django_assert_num_queries(len(few)):
            body = chef_client.get(LIST, {"sort": "popular"}).content.decode()
        assert body.count("<article>") == 21


class TestApiUsesTheSameSearch:
    def test_api_filters_match_the_page(self, chef_client, kitchen):
        response = chef_client.get("/api/recipes", {"category": "desserts", "sort": "name"})
        assert response.status_code == 200
        assert [item["name"] for item in response.json()["items"]] == ["Crème anglaise", "Crêpes"]

    def test_api_refuses_unknown_values_with_422(self, chef_client):
        assert chef_client.get("/api/recipes", {"sort": "random"}).status_code == 422
        assert chef_client.get("/api/recipes", {"difficulty": "zzz"}).status_code == 422
