"""Database constraints hold even when code bypasses validation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from kitchen.models import Ingredient, Recipe, RecipeIngredient, Step
from kitchen.tests.factories import (
    ChefFactory,
    IngredientFactory,
    RecipeFactory,
    RecipeIngredientFactory,
    StepFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejected(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


class TestRecipeIngredientConstraints:
    def test_zero_and_negative_quantities_are_rejected(self):
        recipe = RecipeFactory()
        ingredient = IngredientFactory()
        for quantity in (Decimal("0"), Decimal("-1.5")):
            assert_rejected(
                lambda q=quantity: RecipeIngredient.objects.create(
                    recipe=recipe, ingredient=ingredient, quantity=q, unit="g", position=1
                )
            )
        assert RecipeIngredient.objects.count() == 0

    def test_two_lines_cannot_share_a_position_in_one_recipe(self):
        line = RecipeIngredientFactory(position=1)
        assert_rejected(lambda: RecipeIngredientFactory(recipe=line.recipe, position=1))
        # the same position in another recipe is fine
        RecipeIngredientFactory(position=1)
        assert RecipeIngredient.objects.filter(position=1).count() == 2

    def test_an_ingredient_in_use_cannot_be_deleted(self):
        line = RecipeIngredientFactory()
        with pytest.raises(Exception, match="protected"):
            line.ingredient.delete()


class TestStepConstraints:
    def test_positions_are_unique_per_recipe(self):
        step = StepFactory(position=3)
        assert_rejected(lambda: Step.objects.create(recipe=step.recipe, position=3, text="Again"))

    def test_empty_text_is_rejected(self):
        assert_rejected(lambda: Step.objects.create(recipe=RecipeFactory(), position=1, text=""))


class TestRecipeConstraints:
    @pytest.mark.parametrize(
        "field,value",
        [("servings", 0), ("difficulty", "impossible"), ("status", "lost"), ("name", ""), ("prep_time", 10**6)],
    )
    def test_invalid_values_are_rejected(self, field, value):
        recipe = RecipeFactory()
        assert_rejected(lambda: Recipe.objects.filter(pk=recipe.pk).update(**{field: value}))

    def test_deleting_a_recipe_removes_its_lines_and_steps(self):
        line = RecipeIngredientFactory()
        StepFactory(recipe=line.recipe)
        line.recipe.delete()
        assert RecipeIngredient.objects.count() == 0
        assert Step.objects.count() == 0
        assert Ingredient.objects.filter(pk=line.ingredient_id).exists()


class TestIngredientConstraints:
    def test_names_are_unique_ignoring_case(self):
        IngredientFactory(name="Butter")
        assert_rejected(lambda: IngredientFactory(name="butter"))

    def test_stock_cannot_be_negative(self):
        assert_rejected(lambda: IngredientFactory(stock=Decimal("-1")))

    @pytest.mark.parametrize("price", [Decimal("0"), Decimal("-0.01")])
    def test_price_must_be_positive(self, price):
        assert_rejected(lambda: IngredientFactory(current_price=price))

    def test_a_price_needs_the_time_it_was_observed(self):
        assert_rejected(lambda: IngredientFactory(current_price=Decimal("1"), priced_at=None))

    def test_an_unpriced_ingredient_is_allowed(self):
        assert IngredientFactory(current_price=None, priced_at=None).current_price is None


class TestChefConstraints:
    def test_experience_must_be_plausible(self):
        assert_rejected(lambda: ChefFactory(experience_years=120))

    def test_one_chef_per_user(self):
        chef = ChefFactory()
        assert_rejected(lambda: ChefFactory(user=chef.user))
