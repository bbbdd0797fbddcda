"""Writes of kitchen data. Multi-row changes are atomic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from kitchen.models import Category, Chef, Ingredient, Recipe, RecipeCompletion, RecipeIngredient, Step, Unit
from kitchen.pricing.services import recipe_costs_publish_on_commit


@dataclass(frozen=True)
class LineInput:
    ingredient: Ingredient
    quantity: Decimal
    unit: str
    note: str = ""
    doc_id: str | None = None  # the line's id in the shared document (kitchen/collab), if known


@dataclass(frozen=True)
class StepInput:
    text: str
    doc_id: str | None = None


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
    steps: Iterable[str | StepInput] = (),
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


def _replace_lines_and_steps(
    recipe: Recipe, *, lines: Iterable[LineInput] | None, steps: Iterable[str | StepInput] | None
) -> None:
    """Replace lines and steps in order. A line or step without a document id takes the id of the
    one it replaces at its position (a form or the API sends lines in order), so an open editor
    sees it changed rather than deleted and added again."""
    if lines is not None:
        old = list(recipe.recipe_ingredients.order_by("position").values_list("doc_id", flat=True))
        recipe.recipe_ingredients.all().delete()
        RecipeIngredient.objects.bulk_create(
            RecipeIngredient(
                recipe=recipe,
                position=i,
                ingredient=line.ingredient,
                quantity=line.quantity,
                unit=line.unit,
                note=line.note,
                doc_id=line.doc_id or (old[i - 1] if i <= len(old) else None),
            )
            for i, line in enumerate(lines, start=1)
        )
    if steps is not None:
        old = list(recipe.steps.order_by("position").values_list("doc_id", flat=True))
        recipe.steps.all().delete()
        inputs = [step if isinstance(step, StepInput) else StepInput(text=step) for step in steps]
        Step.objects.bulk_create(
            Step(
                recipe=recipe, position=i, text=step.text, doc_id=step.doc_id or (old[i - 1] if i <= len(old) else None)
            )
            for i, step in enumerate(inputs, start=1)
        )


@transaction.atomic
def recipe_update(
    *,
    recipe: Recipe,
    fields: dict[str, Any],
    categories: Iterable[Category] | None = None,
    lines: Iterable[LineInput] | None = None,
    steps: Iterable[str | StepInput] | None = None,
    by: User | AnonymousUser | None = None,
    from_document: bool = False,
) -> Recipe:
    """Change the given fields; lines and steps, when given, replace the old ones in order.

    A draft whose status becomes completed records a completion (`by` is who did it), and its
    owner and collaborators are e-mailed once the transaction commits. The recipe's shared
    document (kitchen/collab) follows the change, unless the change comes from it (`from_document`)."""
    unknown = set(fields) - set(RECIPE_FIELDS)
    if unknown:
        raise ValueError(f"not recipe fields: {sorted(unknown)}")
    # One change of a recipe at a time, each on top of the last: lock the row and read it again
    # (a write-back may have committed since the caller loaded it).
    recipe.refresh_from_db(from_queryset=Recipe.objects.select_for_update())
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
    if not from_document:
        from kitchen.collab.store import document_apply_rows

        document_apply_rows(recipe=recipe, user_id=by.pk if isinstance(by, User) else None)
    if was_draft and recipe.status == Recipe.Status.COMPLETED:
        _completion_record(recipe=recipe, by=by)
    return recipe


def recipe_complete(*, recipe: Recipe, by: User | AnonymousUser | None) -> Recipe:
    """Mark a draft completed (the "Mark as completed" button); a completed recipe stays as it is."""
    return recipe_update(recipe=recipe, fields={"status": Recipe.Status.COMPLETED}, by=by)


def _completion_record(*, recipe: Recipe, by: User | AnonymousUser | None) -> RecipeCompletion:
    """A draft just became completed (once per change, under the recipe's lock, after its document took
    the status): record it, e-mail everyone on it after commit, and keep the recipe as completed in its history."""
    from kitchen.collab.store import version_save_completed
    from notifications.tasks import notify_recipe_completion

    user = by if isinstance(by, User) else None
    completion = RecipeCompletion.objects.create(recipe=recipe, by=user)
    notify_recipe_completion.delay_on_commit(completion.pk)
    version_save_completed(recipe_id=recipe.pk, by=user)
    return completion


@transaction.atomic
def recipe_delete(*, recipe: Recipe) -> None:
    """Delete a recipe; its open editors are closed (4404) once that commits (kitchen/signals.py).
    Its row is locked first, as every writer of a recipe does (a write-back in flight finishes first)."""
    Recipe.objects.select_for_update().filter(pk=recipe.pk).exists()
    recipe.delete()


@transaction.atomic
def recipe_collaborators_set(*, recipe: Recipe, collaborators: Iterable[Chef]) -> None:
    """Set who co-edits a recipe; a chef taken off loses edit access at once, open editors included
    (kitchen/signals.py tells them, whichever way the list changed)."""
    recipe.collaborators.set(collaborators)


@transaction.atomic
def recipe_collaborator_add(*, recipe: Recipe, username: str) -> Chef:
    """Let the chef with this username co-edit the recipe (the owner's form on the recipe page).
    Raises ValidationError with a message for the owner when that chef cannot be added."""
    Recipe.objects.select_for_update().filter(pk=recipe.pk).exists()  # one change of the list at a time
    name = username.strip()[:150]
    if not name:
        raise ValidationError("Enter the username of the chef to add.")
    users = list(User.objects.filter(username__iexact=name)[:2])
    user = next((u for u in users if u.username == name), users[0] if len(users) == 1 else None)
    if user is None or not user.is_active:
        raise ValidationError(f"There is no active user called “{name}”.")
    chef = Chef.objects.filter(user=user).select_related("user").first()
    if chef is None:
        raise ValidationError(f"{user.username} has no chef profile, so cannot edit recipes.")
    if chef.pk == recipe.owner_id:
        raise ValidationError(f"{user.username} owns this recipe.")
    current = list(recipe.collaborators.all())
    if chef in current:
        raise ValidationError(f"{user.username} already edits this recipe.")
    recipe_collaborators_set(recipe=recipe, collaborators=[*current, chef])
    return chef


@transaction.atomic
def recipe_collaborator_remove(*, recipe: Recipe, chef_id: int) -> Chef:
    """Take a chef off the recipe's collaborators; their open editors close at once."""
    Recipe.objects.select_for_update().filter(pk=recipe.pk).exists()
    current = list(recipe.collaborators.select_related("user"))
    chef = next((c for c in current if c.pk == chef_id), None)
    if chef is None:
        raise ValidationError("That chef does not edit this recipe.")
    recipe_collaborators_set(recipe=recipe, collaborators=[c for c in current if c.pk != chef_id])
    return chef


@transaction.atomic
def recipe_saved_elsewhere(*, recipe: Recipe, was_draft: bool, by: User | AnonymousUser | None) -> None:
    """A recipe and its lines saved outside these services (the admin's form and inlines): the shared
    document follows, its cost is pushed, and a draft now completed records its completion."""
    from kitchen.collab.store import document_apply_rows

    Recipe.objects.select_for_update().filter(pk=recipe.pk).exists()
    recipe_costs_publish_on_commit(recipe_ids=[recipe.pk])
    document_apply_rows(recipe=recipe, user_id=by.pk if isinstance(by, User) else None)
    if was_draft and recipe.status == Recipe.Status.COMPLETED:
        _completion_record(recipe=recipe, by=by)


INGREDIENT_NAME_MAX = 100  # Ingredient.name


@transaction.atomic
def ingredient_create(*, name: str, unit: str = Unit.GRAM, for_recipe: Recipe | None = None) -> Ingredient:
    """A new ingredient, which any chef may add (the editor's "Create it" beside a line naming none).
    Raises ValidationError with a message for the chef. With `for_recipe`, that recipe's document is
    written back again at once, so its lines naming the new ingredient take it."""
    clean = name.strip()  # as a line's ingredient is matched at write-back: case and outer spaces aside
    if not clean:
        raise ValidationError("Enter the ingredient's name.")
    if len(clean) > INGREDIENT_NAME_MAX:
        raise ValidationError(f"An ingredient's name has at most {INGREDIENT_NAME_MAX} characters.")
    if unit not in Unit.values:
        raise ValidationError("Choose the ingredient's unit from the list.")
    taken = Ingredient.objects.annotate(lname=Lower("name")).filter(lname=clean.lower()).first()
    if taken is not None:
        raise ValidationError(f"There is already an ingredient called “{taken.name}”.")
    try:
        with transaction.atomic():
            ingredient = Ingredient.objects.create(name=clean, unit=unit)
    except IntegrityError:  # another chef created it a moment ago
        raise ValidationError(f"There is already an ingredient called “{clean}”.") from None
    if for_recipe is not None:
        from kitchen.collab.store import document_write_back

        document_write_back(recipe_id=for_recipe.pk, again=True)
    return ingredient
