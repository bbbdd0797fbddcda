"""Writes of kitchen data. Multi-row changes are atomic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from kitchen.models import Category, Chef, Ingredient, Recipe, RecipeCompletion, RecipeIngredient, Step
from kitchen.pricing.services import recipe_costs_publish_on_commit


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
    _replace_lines_and_steps(recipe, lines=list(lines), steps=list(steps))
    recipe_costs_publish_on_commit(recipe_ids=[recipe.pk])
    return recipe


RECIPE_FIELDS = ("name", "description", "servings", "prep_time", "difficulty", "status")


def _replace_lines_and_steps(recipe: Recipe, *, lines: Iterable[LineInput] | None, steps: Iterable[str] | None) -> None:
    if lines is not None:
        recipe.recipe_ingredients.all().delete()
        RecipeIngredient.objects.bulk_create(
            RecipeIngredient(recipe=recipe, position=i, **line.__dict__) for i, line in enumerate(lines, start=1)
        )
    if steps is not None:
        recipe.steps.all().delete()
        Step.objects.bulk_create(Step(recipe=recipe, position=i, text=text) for i, text in enumerate(steps, start=1))


@transaction.atomic
def recipe_update(
    *,
    recipe: Recipe,
    fields: dict[str, Any],
    categories: Iterable[Category] | None = None,
    lines: Iterable[LineInput] | None = None,
    steps: Iterable[str] | None = None,
    by: User | AnonymousUser | None = None,
) -> Recipe:
    """Change the given fields; lines and steps, when given, replace the old ones in order.

    A draft whose status becomes completed records a completion (`by` is who did it), and its
    owner and collaborators are e-mailed once the transaction commits."""
    unknown = set(fields) - set(RECIPE_FIELDS)
    if unknown:
        raise ValueError(f"not recipe fields: {sorted(unknown)}")
    was_draft = recipe.status == Recipe.Status.DRAFT
    for name, value in fields.items():
        setattr(recipe, name, value)
    recipe.full_clean()
    recipe.save()
    if categories is not None:
        recipe.categories.set(categories)
    _replace_lines_and_steps(recipe, lines=lines, steps=steps)
    if lines is not None or "servings" in fields:  # nothing else changes what it costs
        recipe_costs_publish_on_commit(recipe_ids=[recipe.pk])
    if was_draft and recipe.status == Recipe.Status.COMPLETED:
        _completion_record(recipe=recipe, by=by)
    return recipe


def recipe_complete(*, recipe: Recipe, by: User | AnonymousUser | None) -> Recipe:
    """Mark a draft completed (the "Mark as completed" button); a completed recipe stays as it is."""
    return recipe_update(recipe=recipe, fields={"status": Recipe.Status.COMPLETED}, by=by)


def _completion_record(*, recipe: Recipe, by: User | AnonymousUser | None) -> RecipeCompletion:
    from notifications.tasks import notify_recipe_completion

    completion = RecipeCompletion.objects.create(recipe=recipe, by=by if isinstance(by, User) else None)
    notify_recipe_completion.delay_on_commit(completion.pk)
    return completion


@transaction.atomic
def recipe_delete(*, recipe: Recipe) -> None:
    recipe.delete()
