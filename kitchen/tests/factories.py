from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from kitchen.models import Category, Chef, Ingredient, Recipe, RecipeIngredient, Step

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"chef{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ChefFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chef

    user = factory.SubFactory(UserFactory)
    speciality = "Sauces"
    experience_years = 5


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class IngredientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ingredient

    name = factory.Sequence(lambda n: f"Ingredient {n}")
    unit = "kg"
    stock = Decimal("10")
    current_price = Decimal("2.50")
    currency = "EUR"
    priced_at = factory.LazyFunction(timezone.now)


class RecipeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipe

    name = factory.Sequence(lambda n: f"Recipe {n}")
    owner = factory.SubFactory(ChefFactory)
    servings = 4
    prep_time = 30
    status = Recipe.Status.COMPLETED


class RecipeIngredientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecipeIngredient

    recipe = factory.SubFactory(RecipeFactory)
    ingredient = factory.SubFactory(IngredientFactory)
    quantity = Decimal("100")
    unit = "g"
    position = factory.Sequence(lambda n: n + 1)


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    recipe = factory.SubFactory(RecipeFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = "Stir."
