"""Reads of kitchen data, with the visibility rule in one place."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, Q, QuerySet

from kitchen.models import Ingredient, IngredientPrice, Recipe, RecipeIngredient

PRICE_HISTORY = 50


def recipe_visibility_filter(*, user: User | AnonymousUser) -> Q:
    """Completed recipes are kitchen-wide; drafts only for their owner and collaborators."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    return Q(status=Recipe.Status.COMPLETED) | Q(owner__user_id=user.pk) | Q(collaborators__user_id=user.pk)


def recipes_visible_to(*, user: User | AnonymousUser) -> QuerySet[Recipe]:
    visible_ids = Recipe.objects.filter(recipe_visibility_filter(user=user)).values("pk")
    return Recipe.objects.filter(pk__in=visible_ids).select_related("owner__user")


def recipe_list(*, user: User | AnonymousUser) -> QuerySet[Recipe]:
    return recipes_visible_to(user=user).prefetch_related("categories")


def recipe_detail(*, user: User | AnonymousUser, recipe_id: int) -> Recipe | None:
    lines = RecipeIngredient.objects.select_related("ingredient").order_by("position")
    return (
        recipes_visible_to(user=user)
        .prefetch_related("categories", "steps", "collaborators__user", Prefetch("recipe_ingredients", queryset=lines))
        .filter(pk=recipe_id)
        .first()
    )


def recipe_can_edit(*, user: User | AnonymousUser, recipe: Recipe) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or recipe.owner.user_id == user.pk:
        return True
    return recipe.collaborators.filter(user_id=user.pk).exists()


def ingredients_with_history(*, limit: int = PRICE_HISTORY) -> QuerySet[Ingredient]:
    """Ingredients with their `limit` newest price observations, newest first, as `.recent`."""
    history = IngredientPrice.objects.order_by("-observed_at", "-id")[:limit]
    # Ingredient declares `recent` for its readers; mypy's Django plugin also derives it from to_attr.
    return Ingredient.objects.prefetch_related(Prefetch("prices", queryset=history, to_attr="recent"))  # type: ignore[no-redef]
