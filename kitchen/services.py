"""Writes of kitchen data. Multi-row changes are atomic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from kitchen.models import Category, Chef, Ingredient, Recipe, RecipeIngredient, Step


@dataclass(frozen=True)
class LineInput:
    ingredient: Ingredient
    quantity: Decimal
    unit: str
    note: str = ""


@transaction.atomic
def recipe_create(
    *,
    owner: Chef,
    name: str,
    description: str = "",
    servings: int = 1,
    prep_time: int = 0,
    difficulty: str = Recipe.Difficulty.MEDIUM,
    status: str = Recipe.Status.DRAFT,
    categories: Iterable[Category] = (),
    collaborators: Iterable[Chef] = (),
    lines: Iterable[LineInput] = (),
    steps: Iterable[str] = (),
) -> Recipe:
    recipe = Recipe(
        owner=owner,
        name=name,
        description=description,
        servings=servings,
        prep_time=prep_time,
        difficulty=difficulty,
        status=status,
    )
    recipe.full_clean()
    recipe.save()
    recipe.categories.set(categories)
    recipe.collaborators.set(collaborators)
    RecipeIngredient.objects.bulk_create(
        RecipeIngredient(recipe=recipe, position=i, **line.__dict__) for i, line in enumerate(lines, start=1)
    )
    Step.objects.bulk_create(Step(recipe=recipe, position=i, text=text) for i, text in enumerate(steps, start=1))
    return recipe
