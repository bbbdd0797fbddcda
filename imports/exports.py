"""Recipes out in the import's own CSV format (so an export imports back as it was), streamed."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch

from imports.formats import CSV_COLUMNS, csv_cell_out
from kitchen.models import Recipe, RecipeIngredient
from kitchen.selectors import recipes_visible_to

CHUNK = 500


class _Line:
    """A file-like object whose write() hands back the row csv.writer just formatted."""

    def write(self, value: str) -> str:
        return value


def _recipes(recipes: Iterable[Recipe]) -> Iterator[list[str]]:
    for recipe in recipes:
        head = [recipe.name, recipe.description, str(recipe.servings), str(recipe.prep_time), recipe.difficulty,
                recipe.status, "|".join(category.name for category in recipe.categories.all())]  # fmt: skip
        ref = f"r{recipe.pk}"
        lines = list(recipe.recipe_ingredients.all())
        steps = list(recipe.steps.all())
        if not lines and not steps:
            yield [ref, "recipe", *head, "", "", "", "", ""]
        for n, line in enumerate(lines):
            fields = head if n == 0 else [""] * len(head)
            yield [ref, "line", *fields, line.ingredient.name, str(line.quantity.normalize()), line.unit, line.note, ""]
        for n, step in enumerate(steps):
            fields = head if n == 0 and not lines else [""] * len(head)
            yield [ref, "step", *fields, "", "", "", "", step.text]


def recipes_csv(*, user: User | AnonymousUser) -> Iterator[str]:
    """The CSV of every recipe the user may see, a chunk of recipes per query batch."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    ids = list(recipes_visible_to(user=user).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = (
            Recipe.objects.filter(pk__in=ids[start : start + CHUNK])
            .order_by("pk")
            .prefetch_related(
                "categories",
                "steps",
                Prefetch("recipe_ingredients", RecipeIngredient.objects.select_related("ingredient")),
            )
        )
        for row in _recipes(chunk):
            yield writer.writerow([csv_cell_out(cell) for cell in row])
