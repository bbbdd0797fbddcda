"""Query counts on the hot pages: the same for 3 recipes as for 30, so an N+1 query fails here."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kitchen.overview import bump_overview_version
from kitchen.selectors import RECIPES_PER_PAGE
from kitchen.tests.factories import CategoryFactory, ChefFactory, RecipeFactory, RecipeIngredientFactory

pytestmark = pytest.mark.django_db


def add_recipes(count: int) -> None:
    """Completed recipes (visible to every chef), each by its own chef, with two categories and two lines."""
    categories = CategoryFactory.create_batch(2)
    for _ in range(count):
        recipe = RecipeFactory(owner=ChefFactory())
        recipe.categories.set(categories)
        RecipeIngredientFactory.create_batch(2, recipe=recipe)


def queries_for(client: Client, path: str) -> tuple[int, bytes]:
    # The overview keeps its tables once per data version: a new version makes it compute them again.
    bump_overview_version()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.content


@pytest.fixture
def warm_client(chef_client: Client) -> Client:
    """The first request also loads the session and the user into the cache; later ones do not."""
    assert chef_client.get("/recipes/").status_code == 200
    return chef_client


class TestQueriesDoNotGrowWithRecipes:
    def test_the_recipe_list(self, warm_client):
        add_recipes(3)
        few, _ = queries_for(warm_client, "/recipes/")
        add_recipes(27)
        many, page = queries_for(warm_client, "/recipes/")
        assert page.count(b"<article>") == RECIPES_PER_PAGE  # a full page: owners, categories, all shown
        assert many == few

    def test_the_overview(self, warm_client):
        add_recipes(3)
        few, _ = queries_for(warm_client, "/recipes/overview/")
        add_recipes(27)
        many, body = queries_for(warm_client, "/recipes/overview/")
        assert body.count(b'"cost":') == 30  # every recipe costed from its lines' ingredients
        assert many == few
