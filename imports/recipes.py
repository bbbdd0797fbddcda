"""The recipe writer of the import pipeline: checks a RecipeDraft with the API's rules and writes
batches of recipes with their lines, steps and categories in a few statements."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from core.api import Int, Name, Text
from imports.records import RecipeDraft, RecordError
from kitchen.fields import Difficulty, Quantity, RecipeStatus, Step, UnitCode
from kitchen.forms import MAX_STEPS
from kitchen.models import Category, Chef, Ingredient, Recipe, RecipeIngredient, Unit
from kitchen.models import Step as StepRow
from kitchen.overview import bump_overview_version

# During an import, precomputed views are invalidated at most this often (each invalidation makes
# every open dashboard recompute its tables: per batch, that would slow the front for nothing).
BUMP_EVERY = 2.0
MAX_LINES = 100
MAX_CATEGORIES = 20
MAX_UNPARSED = 100
# What a unit may be called in a file, beyond our codes ("g", "tbsp"...): names and plurals.
UNIT_ALIASES = {
    **{label: code for code, label in Unit.choices},
    **{f"{label}s": code for code, label in Unit.choices},
    "gr": "g", "grams": "g", "kilo": "kg", "kilos": "kg", "mL": "ml", "litres": "l", "liter": "l", "liters": "l",
    "milliliter": "ml", "milliliters": "ml", "teaspoons": "tsp", "tablespoons": "tbsp", "tbs": "tbsp", "tbl": "tbsp",
    "cups": "cup", "pieces": "piece", "pcs": "piece", "pc": "piece", "pinches": "pinch",
}  # fmt: skip
# A new ingredient's stock unit, from the unit of the first line naming it.
STOCK_UNIT = {"g": "g", "kg": "g", "pinch": "g", "ml": "ml", "l": "ml", "tsp": "ml", "tbsp": "ml", "cup": "ml",
              "piece": "piece"}  # fmt: skip


def unit_code(value: str) -> str:
    text = value.strip()
    return text if text in STOCK_UNIT else UNIT_ALIASES.get(text.lower(), text)


def quantity_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value.is_finite() else str(value)


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ingredient: Name = Field(min_length=1, max_length=100)
    quantity: Quantity
    unit: UnitCode
    note: Text = Field("", max_length=200)


class RecipeIn(BaseModel):
    """The API's rules for a recipe (kitchen/api.py RecipeIn), with ingredients and categories by name."""

    model_config = ConfigDict(extra="forbid")
    name: Name = Field(min_length=1, max_length=200)
    description: Text = Field("", max_length=10_000)
    servings: Int = Field(1, ge=1, le=1000)
    prep_time: Int = Field(0, ge=0, le=7 * 24 * 60)
    difficulty: Difficulty = "medium"
    status: RecipeStatus = "draft"
    categories: list[Annotated[Name, Field(max_length=60)]] = Field(default_factory=list, max_length=MAX_CATEGORIES)
    lines: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)
    steps: list[Step] = Field(default_factory=list, max_length=MAX_STEPS)
    unparsed: list[Text] = Field(default_factory=list, max_length=MAX_UNPARSED)


def _field_name(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location) or "record"


@dataclass
class RecipeWriter:
    """Writes recipes owned by `owner`, each keyed "<job id>:<record key>" (Recipe.import_key)."""

    owner: Chef
    job_id: int
    # Ids already resolved in this run, by lower-case name: later batches name the same ingredients.
    _ingredient_ids: dict[str, int] = field(default_factory=dict)
    _category_ids: dict[str, int] = field(default_factory=dict)
    _bumped_at: float = float("-inf")

    def check(self, draft: RecipeDraft) -> RecipeIn:
        data = {
            "name": draft.name, "description": draft.description, "servings": draft.servings,
            "prep_time": draft.prep_time, "difficulty": draft.difficulty.strip().lower(),
            "status": draft.status.strip().lower(), "categories": draft.categories, "steps": draft.steps,
            "unparsed": draft.unparsed,
            "lines": [{"ingredient": line.ingredient, "quantity": quantity_text(line.quantity),
                       "unit": unit_code(line.unit), "note": line.note} for line in draft.lines],
        }  # fmt: skip
        try:
            return RecipeIn.model_validate(data)
        except PydanticValidationError as error:
            first = error.errors()[0]
            message = first["msg"]
            if first["loc"][-1:] == ("unit",):
                message = f"unknown unit {first.get('input')!r}; use one of {', '.join(STOCK_UNIT)}"
            elif first["loc"][-1:] == ("quantity",):
                message = f"{first.get('input')!r} is not a positive quantity (at most 7 digits and 3 decimals)"
            raise RecordError(_field_name(first["loc"]), message) from None

    def write(self, batch: list[tuple[str, RecipeIn]]) -> int:
        """Create the batch's recipes not created before (in the caller's transaction); returns how many."""
        keyed = {f"{self.job_id}:{key}": recipe for key, recipe in batch}
        done = set(Recipe.objects.filter(import_key__in=list(keyed)).values_list("import_key", flat=True))
        todo = [(key, recipe) for key, recipe in keyed.items() if key not in done]
        if not todo:
            return 0
        ingredients = self._ingredients(recipe for _, recipe in todo)
        categories = self._categories(recipe for _, recipe in todo)
        now = timezone.now()
        recipes = [
            Recipe(owner=self.owner, name=recipe.name, description=recipe.description, servings=recipe.servings,
                   prep_time=recipe.prep_time, difficulty=recipe.difficulty, status=recipe.status,
                   unparsed_ingredients=recipe.unparsed, import_key=key, created_at=now, updated_at=now)
            for key, recipe in todo
        ]  # fmt: skip
        recipe_ids = _insert_recipes(recipes)
        _insert_rows(
            RecipeIngredient,
            ["recipe_id", "ingredient_id", "position", "quantity", "unit", "note"],
            (
                (
                    recipe_id,
                    ingredients[line.ingredient.lower()],
                    position,
                    Decimal(line.quantity),
                    line.unit,
                    line.note,
                )
                for recipe_id, (_, recipe) in zip(recipe_ids, todo, strict=True)
                for position, line in enumerate(recipe.lines, start=1)
            ),
        )
        _insert_rows(
            StepRow,
            ["recipe_id", "position", "text"],
            (
                (recipe_id, position, text)
                for recipe_id, (_, recipe) in zip(recipe_ids, todo, strict=True)
                for position, text in enumerate(recipe.steps, start=1)
            ),
        )
        _insert_rows(
            Recipe.categories.through,
            ["recipe_id", "category_id"],
            (
                (recipe_id, category_id)
                for recipe_id, (_, recipe) in zip(recipe_ids, todo, strict=True)
                for category_id in {categories[name.lower()] for name in recipe.categories}
            ),
        )
        if time.monotonic() - self._bumped_at >= BUMP_EVERY:
            self._bumped_at = time.monotonic()
            transaction.on_commit(bump_overview_version, robust=True)
        return len(recipe_ids)

    def finish(self) -> None:
        """The import is over: precomputed views (the dashboard) see all of it."""
        bump_overview_version()

    def _ingredients(self, recipes: Any) -> dict[str, int]:
        """Ids by lower-case name; ingredients named for the first time are created once."""
        found = self._ingredient_ids
        first_line: dict[str, tuple[str, str]] = {}  # lower-case name -> (name as written, unit)
        for recipe in recipes:
            for line in recipe.lines:
                lower = line.ingredient.lower()
                if lower not in found and lower not in first_line:
                    first_line[lower] = (line.ingredient, line.unit)
        if first_line:
            found.update(self._ids(Ingredient, list(first_line)))
            missing = [lower for lower in first_line if lower not in found]
            if missing:
                Ingredient.objects.bulk_create(
                    [Ingredient(name=first_line[lower][0], unit=STOCK_UNIT[first_line[lower][1]]) for lower in missing],
                    ignore_conflicts=True,  # created meanwhile by another import: use that one
                )
                found.update(self._ids(Ingredient, missing))
        return found

    def _categories(self, recipes: Any) -> dict[str, int]:
        found = self._category_ids
        wanted = {name.lower(): name for recipe in recipes for name in recipe.categories if name.lower() not in found}
        if wanted:
            found.update(self._ids(Category, list(wanted)))
        for lower in [name for name in wanted if name not in found]:
            base = slugify(wanted[lower])[:50] or "category"
            slug, n = base, 1
            while Category.objects.filter(slug=slug).exists():
                n += 1
                slug = f"{base}-{n}"
            found[lower] = Category.objects.create(name=wanted[lower][:60], slug=slug).pk
        return found

    @staticmethod
    def _ids(model: Any, lower_names: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(lower_names), 500):  # bounded IN lists
            chunk = lower_names[start : start + 500]
            rows = model.objects.annotate(lower=Lower("name")).filter(lower__in=chunk).values_list("lower", "pk")
            found.update(rows)
        return found


# -- Writing many rows: COPY on PostgreSQL, executemany on SQLite -------------------------------
# Measured with bench/bulk_import.py (docs/PERFORMANCE.md): Django's bulk_create spends most of
# its time building the INSERT, value by value; COPY streams rows in PostgreSQL's own format.


def _columns(model: Any, names: list[str]) -> tuple[str, list[str]]:
    fields = [model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name) for name in names]
    return model._meta.db_table, [field.column for field in fields]


def _insert_rows(model: Any, names: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    table, columns = _columns(model, names)
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # Table and column names come from the model, never from the file; values are parameters.
            marks = ", ".join(["%s"] * len(columns))
            statement = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(statement, list(rows))


def _insert_recipes(recipes: list[Recipe]) -> list[int]:
    """Insert the recipes and return their ids: on PostgreSQL ids are drawn from the sequence first,
    then the rows are copied; elsewhere bulk_create returns them."""
    if connection.vendor != "postgresql":
        return [row.pk for row in Recipe.objects.bulk_create(recipes)]
    table = Recipe._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(recipes)]
        )
        ids = [row[0] for row in cursor.fetchall()]
    names = ["id", "owner_id", "name", "description", "servings", "prep_time", "difficulty", "status",
             "unparsed_ingredients", "import_key", "created_at", "updated_at"]  # fmt: skip
    _insert_rows(
        Recipe,
        names,
        (
            (pk, recipe.owner_id, recipe.name, recipe.description, recipe.servings, recipe.prep_time, recipe.difficulty,
             recipe.status, json.dumps(recipe.unparsed_ingredients), recipe.import_key, recipe.created_at,
             recipe.updated_at)
            for pk, recipe in zip(ids, recipes, strict=True)
        ),
    )  # fmt: skip
    return ids
