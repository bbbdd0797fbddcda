"""Reads of kitchen data, with the visibility rule in one place."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from kitchen.models import Category, Chef, Ingredient, IngredientPrice, Recipe, RecipeIngredient
from kitchen.pricing.costing import recipe_cost_event

PRICE_HISTORY = 50
RECIPES_PER_PAGE = 25

# How the recipe list may be sorted: "popular" is the most talked about in its recipe room.
RECIPE_SORTS: dict[str, tuple[str | Lower, ...]] = {
    "newest": ("-updated_at", "-id"),
    "name": (Lower("name"), "id"),
    "quickest": ("prep_time", "-updated_at", "-id"),
    "popular": ("-messages", "-updated_at", "-id"),
}


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


def recipes_search(
    *,
    user: User | AnonymousUser,
    q: str = "",
    difficulty: str = "",
    chef: str = "",
    category: str = "",
    status: str = "",
    sort: str = "newest",
) -> QuerySet[Recipe]:
    """Recipes `user` may see, narrowed by text (name or description), difficulty, chef (username),
    category (slug) and status, in a RECIPE_SORTS order; the one search behind the page and the API.
    Empty filters are not applied; a lazy queryset, read with `async for` or `acount()`."""
    if sort not in RECIPE_SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    recipes = recipe_list(user=user)
    if q:
        recipes = recipes.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if difficulty:
        recipes = recipes.filter(difficulty=difficulty)
    if chef:
        recipes = recipes.filter(owner__user__username=chef)
    if category:
        recipes = recipes.filter(categories__slug=category)  # slugs are unique: one row per recipe
    if status:
        recipes = recipes.filter(status=status)
    if sort == "popular":
        recipes = recipes.annotate(messages=Count("chat_room__messages"))
    return recipes.order_by(*RECIPE_SORTS[sort])


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_bounds(*, count: int, number: int, per_page: int) -> tuple[int, int, int]:
    """(number, pages, start) of page `number` of `count` items: a number past the end is the last page."""
    pages = max(1, -(-count // per_page))
    number = min(max(number, 1), pages)
    return number, pages, (number - 1) * per_page


async def recipes_page(*, recipes: QuerySet[Recipe], number: int, per_page: int = RECIPES_PER_PAGE) -> Page[Recipe]:
    """One page of `recipes` (two queries, plus their prefetches); a number past the end gives the last page."""
    count = await recipes.acount()
    number, pages, start = page_bounds(count=count, number=number, per_page=per_page)
    return Page(items=[r async for r in recipes[start : start + per_page]], number=number, pages=pages, count=count)


async def chefs_for_filter() -> list[tuple[str, str]]:
    """(username, display name) of every chef, by username: the choices of the recipe list's chef filter."""
    return [(c.user.get_username(), str(c)) async for c in Chef.objects.select_related("user")]


async def categories_for_filter() -> list[tuple[str, str]]:
    return [(slug, name) async for slug, name in Category.objects.values_list("slug", "name")]


def recipe_lines_prefetch() -> Prefetch[str, QuerySet[RecipeIngredient], str]:
    """A recipe's lines in order with their ingredients: what recipe_cost reads, one query for any number of recipes."""
    lines = RecipeIngredient.objects.select_related("ingredient").order_by("position")
    return Prefetch("recipe_ingredients", queryset=lines)


def recipe_detail(*, user: User | AnonymousUser, recipe_id: int) -> Recipe | None:
    return (
        recipes_visible_to(user=user)
        .prefetch_related("categories", "steps", "collaborators__user", recipe_lines_prefetch())
        .filter(pk=recipe_id)
        .first()
    )


RecipeAccess = Literal["visible", "hidden", "missing"]


def recipe_access(*, user: User | AnonymousUser, recipe_id: int) -> RecipeAccess:
    """Whether `user` may see the recipe ("visible"), may not ("hidden"), or there is none ("missing")."""
    if recipes_visible_to(user=user).filter(pk=recipe_id).exists():
        return "visible"
    return "hidden" if Recipe.objects.filter(pk=recipe_id).exists() else "missing"


def recipes_for_costing(
    *, recipe_ids: Collection[int] | None = None, ingredient_ids: Collection[int] | None = None
) -> QuerySet[Recipe]:
    """Recipes by id, or those with a line of any of the ingredients, lines prefetched for
    recipe_cost: two queries however many recipes. Unfiltered by visibility: for publishing to
    each recipe's own topic, which only sockets allowed to see the recipe join."""
    recipes = Recipe.objects.prefetch_related(recipe_lines_prefetch())
    if recipe_ids is not None:
        recipes = recipes.filter(pk__in=recipe_ids)
    if ingredient_ids is not None:
        using = RecipeIngredient.objects.filter(ingredient_id__in=ingredient_ids).values("recipe_id")
        recipes = recipes.filter(pk__in=using)
    return recipes


def recipe_cost_now(*, recipe_id: int) -> dict[str, Any] | None:
    """The recipe's cost event from current prices (None if it is gone); the caller has checked access."""
    recipe = recipes_for_costing(recipe_ids=[recipe_id]).first()
    return recipe_cost_event(recipe) if recipe is not None else None


def recipe_can_edit(*, user: User | AnonymousUser, recipe: Recipe) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or recipe.owner.user_id == user.pk:
        return True
    return recipe.collaborators.filter(user_id=user.pk).exists()


def recipe_can_share(*, user: User | AnonymousUser, recipe: Recipe) -> bool:
    """Whether `user` chooses who co-edits the recipe: its owner and superusers."""
    return user.is_authenticated and (user.is_superuser or recipe.owner.user_id == user.pk)


def chefs_to_add(*, recipe: Recipe) -> list[str]:
    """Usernames of active chefs who could co-edit the recipe and do not yet (the add form's suggestions)."""
    return list(
        Chef.objects.filter(user__is_active=True)
        .exclude(pk=recipe.owner_id)
        .exclude(shared_recipes=recipe)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def ingredients_with_history(*, limit: int = PRICE_HISTORY) -> QuerySet[Ingredient]:
    """Ingredients with their `limit` newest price observations, newest first, as `.recent`."""
    history = IngredientPrice.objects.order_by("-observed_at", "-id")[:limit]
    # Ingredient declares `recent` for its readers; mypy's Django plugin also derives it from to_attr.
    return Ingredient.objects.prefetch_related(Prefetch("prices", queryset=history, to_attr="recent"))  # type: ignore[no-redef]


DocumentAccess = Literal["edit", "read", "hidden", "missing"]


def recipe_document_access(*, user_id: int, recipe_id: int) -> DocumentAccess:
    """What a signed-in user may do with a recipe's shared document: edit it (owner, collaborator,
    superuser), read it (a chef who may see the recipe), nothing, or there is no such recipe."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return "hidden" if Recipe.objects.filter(pk=recipe_id).exists() else "missing"
    recipe = Recipe.objects.filter(pk=recipe_id).select_related("owner").first()
    if recipe is None:
        return "missing"
    if recipe_can_edit(user=user, recipe=recipe):
        return "edit"
    return "read" if recipes_visible_to(user=user).filter(pk=recipe_id).exists() else "hidden"
