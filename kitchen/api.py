"""/api/ routes for recipes, chefs, ingredients and prices. Writes go through kitchen services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import field_validator

from core.api import DbId, In, Int, Name, PageIn, Text, Timestamp, responses
from core.types import ApiRequest
from kitchen import selectors, services
from kitchen.fields import Difficulty, Price, Quantity, RecipeStatus, Step, UnitCode
from kitchen.forms import MAX_STEPS
from kitchen.models import Category, Chef, Ingredient, Recipe
from kitchen.overview import ingredient_row
from kitchen.pricing.costing import line_cost_event, recipe_cost
from kitchen.pricing.providers import PriceQuote, ProviderError, configured_provider
from kitchen.pricing.services import prices_record, prices_refresh

router = Router(tags=["kitchen"])

RecipeSort = Literal["newest", "popular", "name", "quickest"]  # kitchen.selectors.RECIPE_SORTS
RecipeId = Annotated[int, Path(ge=1, lt=2**63)]


# -- Schemas ------------------------------------------------------------------------------------


class CostOut(Schema):
    currency: str
    total: str
    per_serving: str
    complete: bool
    uncosted_lines: int
    oldest_price_at: datetime | None


class RecipeOut(Schema):
    id: int
    name: str
    chef: str
    status: str
    difficulty: str
    servings: int
    prep_time: int
    updated_at: datetime


class LineOut(Schema):
    position: int
    ingredient_id: int
    ingredient: str
    quantity: str
    unit: str
    note: str
    cost: str | None
    problem: str


class StepOut(Schema):
    position: int
    text: str


class RecipeDetailOut(RecipeOut):
    description: str
    categories: list[str]
    collaborators: list[str]
    ingredients: list[LineOut]
    steps: list[StepOut]
    cost: CostOut


class RecipePage(Schema):
    count: int
    items: list[RecipeOut]


class LineIn(In):
    ingredient_id: DbId
    quantity: Quantity
    unit: UnitCode
    note: Text = Field("", max_length=200)


class RecipeIn(In):
    name: Name = Field(..., min_length=1, max_length=200)
    description: Text = Field("", max_length=10_000)
    servings: Int = Field(1, ge=1, le=1000)
    prep_time: Int = Field(0, ge=0, le=7 * 24 * 60)
    difficulty: Difficulty = "medium"
    status: RecipeStatus = "draft"
    category_ids: list[DbId] = Field(default_factory=list, max_length=20)
    ingredients: list[LineIn] = Field(default_factory=list, max_length=100)
    steps: list[Step] = Field(default_factory=list, max_length=MAX_STEPS)


class RecipePatch(In):
    name: Name | None = Field(None, min_length=1, max_length=200)
    description: Text | None = Field(None, max_length=10_000)
    servings: Int | None = Field(None, ge=1, le=1000)
    prep_time: Int | None = Field(None, ge=0, le=7 * 24 * 60)
    difficulty: Difficulty | None = None
    status: RecipeStatus | None = None
    category_ids: list[DbId] | None = Field(None, max_length=20)
    ingredients: list[LineIn] | None = Field(None, max_length=100)
    steps: list[Step] | None = Field(None, max_length=MAX_STEPS)


class RecipeFilters(PageIn):
    status: RecipeStatus | None = None
    difficulty: Difficulty | None = None
    q: Text | None = Field(None, max_length=100, description="in the name or description")
    chef: Text | None = Field(None, max_length=150, description="username")
    category: Text | None = Field(None, max_length=60, description="category slug")
    sort: RecipeSort = "newest"


class ChefOut(Schema):
    id: int
    username: str
    name: str
    speciality: str
    experience_years: int


class PriceOut(Schema):
    price: str
    currency: str
    unit: str
    source: str
    observed_at: datetime


class IngredientOut(Schema):
    id: int
    name: str
    unit: str
    stock: str
    price: str | None
    currency: str
    priced_at: datetime | None


class IngredientDetailOut(IngredientOut):
    history: list[PriceOut]


class PriceIn(In):
    price: Price
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="PRICE_CURRENCY when left out")
    unit: UnitCode
    observed_at: Timestamp | None = None

    @field_validator("observed_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(tz=UTC) + timedelta(days=1):  # as providers' quotes
            raise ValueError("an observation cannot be more than a day in the future")
        return value


class RefreshOut(Schema):
    provider: str
    recorded: int
    changed: list[int]
    rejected: list[str]
    skipped: list[str]


# -- Helpers ------------------------------------------------------------------------------------


def _recipe_out(recipe: Recipe) -> dict:
    return {
        "id": recipe.pk,
        "name": recipe.name,
        "chef": str(recipe.owner),
        "status": recipe.status,
        "difficulty": recipe.difficulty,
        "servings": recipe.servings,
        "prep_time": recipe.prep_time,
        "updated_at": recipe.updated_at,
    }


def _recipe_detail_out(recipe: Recipe) -> dict:
    cost = recipe_cost(recipe)
    return {
        **_recipe_out(recipe),
        "description": recipe.description,
        "categories": [c.name for c in recipe.categories.all()],
        "collaborators": [str(c) for c in recipe.collaborators.all()],
        "ingredients": [line_cost_event(item) for item in cost.lines],  # LineOut keeps its own fields
        "steps": [{"position": s.position, "text": s.text} for s in recipe.steps.all()],
        "cost": cost.as_dict(),
    }


def _visible_detail(user, recipe_id: int) -> Recipe:
    recipe = selectors.recipe_detail(user=user, recipe_id=recipe_id)
    if recipe is None:
        raise Http404("no such recipe")
    return recipe


def _resolve_related(category_ids: list[int] | None, lines: list[LineIn] | None):
    from django.core.exceptions import ValidationError

    categories = None
    if category_ids is not None:
        categories = list(Category.objects.filter(pk__in=set(category_ids)))
        if len(categories) != len(set(category_ids)):
            raise ValidationError({"category_ids": ["unknown category id"]})
    resolved = None
    if lines is not None:
        wanted = {line.ingredient_id for line in lines}
        found = Ingredient.objects.in_bulk(wanted)
        missing = sorted(wanted - set(found))
        if missing:
            raise ValidationError({"ingredients": [f"unknown ingredient id(s): {missing[:10]}"]})
        resolved = [
            services.LineInput(ingredient=found[line.ingredient_id], quantity=line.quantity, unit=line.unit,
                               note=line.note)
            for line in lines
        ]  # fmt: skip
    return categories, resolved


def _create(user, payload: RecipeIn) -> dict:
    chef, _ = Chef.objects.get_or_create(user=user)
    categories, lines = _resolve_related(payload.category_ids, payload.ingredients)
    recipe = services.recipe_create(
        owner=chef,
        name=payload.name,
        description=payload.description,
        servings=payload.servings,
        prep_time=payload.prep_time,
        difficulty=payload.difficulty,
        status=payload.status,
        categories=categories or [],
        lines=lines or [],
        steps=payload.steps,
    )
    return _recipe_detail_out(_visible_detail(user, recipe.pk))


def _update(user, recipe_id: int, payload: RecipePatch) -> dict:
    recipe = _visible_detail(user, recipe_id)
    if not selectors.recipe_can_edit(user=user, recipe=recipe):
        raise PermissionDenied("only the owner and collaborators may edit this recipe")
    data = payload.dict(exclude_unset=True)
    fields = {k: v for k, v in data.items() if k in services.RECIPE_FIELDS and v is not None}
    categories, lines = _resolve_related(
        data.get("category_ids"), payload.ingredients if "ingredients" in data else None
    )
    services.recipe_update(recipe=recipe, fields=fields, categories=categories, lines=lines,
                           steps=payload.steps if "steps" in data else None, by=user)  # fmt: skip
    return _recipe_detail_out(_visible_detail(user, recipe_id))


def _delete(user, recipe_id: int) -> None:
    recipe = _visible_detail(user, recipe_id)
    if not (user.is_superuser or recipe.owner.user_id == user.pk):
        raise PermissionDenied("only the owner may delete this recipe")
    services.recipe_delete(recipe=recipe)


def _require_staff(request: ApiRequest) -> None:
    if not request.auth.is_staff:
        raise PermissionDenied("only staff may change prices")


# -- Recipes ------------------------------------------------------------------------------------


@router.get(
    "/recipes", response=responses({200: RecipePage}), summary="Recipes you may see, searched, filtered and sorted"
)
async def list_recipes(request: ApiRequest, filters: Query[RecipeFilters]):
    qs = selectors.recipes_search(
        user=request.auth, q=filters.q or "", difficulty=filters.difficulty or "", chef=filters.chef or "",
        category=filters.category or "", status=filters.status or "", sort=filters.sort,
    )  # fmt: skip
    count = await qs.acount()
    page = qs[filters.offset : filters.offset + filters.limit]
    return {"count": count, "items": [_recipe_out(r) async for r in page]}


@router.get("/recipes/{recipe_id}", response=responses({200: RecipeDetailOut}))
async def get_recipe(request: ApiRequest, recipe_id: RecipeId):
    return await sync_to_async(lambda: _recipe_detail_out(_visible_detail(request.auth, recipe_id)))()


@router.post("/recipes", response=responses({201: RecipeDetailOut}))
async def create_recipe(request: ApiRequest, payload: RecipeIn):
    return Status(201, await sync_to_async(_create)(request.auth, payload))


@router.patch("/recipes/{recipe_id}", response=responses({200: RecipeDetailOut}))
async def update_recipe(request: ApiRequest, payload: RecipePatch, recipe_id: RecipeId):
    return await sync_to_async(_update)(request.auth, recipe_id, payload)


@router.delete("/recipes/{recipe_id}", response=responses({204: None}))
async def delete_recipe(request: ApiRequest, recipe_id: RecipeId):
    await sync_to_async(_delete)(request.auth, recipe_id)
    return Status(204, None)


# -- Chefs --------------------------------------------------------------------------------------


@router.get("/chefs", response=responses({200: list[ChefOut]}))
async def list_chefs(request: ApiRequest, page: Query[PageIn]):
    chefs = Chef.objects.select_related("user").order_by("user__username")[page.offset : page.offset + page.limit]
    return [
        {"id": c.pk, "username": c.user.get_username(), "name": str(c), "speciality": c.speciality,
         "experience_years": c.experience_years}
        async for c in chefs
    ]  # fmt: skip


# -- Ingredients and prices ---------------------------------------------------------------------


@router.get("/ingredients", response=responses({200: list[IngredientOut]}))
async def list_ingredients(request: ApiRequest, page: Query[PageIn]):
    return [ingredient_row(i) async for i in Ingredient.objects.all()[page.offset : page.offset + page.limit]]


@router.get("/ingredients/{ingredient_id}", response=responses({200: IngredientDetailOut}))
async def get_ingredient(request: ApiRequest, ingredient_id: RecipeId):
    ingredient = await selectors.ingredients_with_history().filter(pk=ingredient_id).afirst()
    if ingredient is None:
        raise Http404("no such ingredient")
    rows = [
        {
            "price": str(p.price),
            "currency": p.currency,
            "unit": p.unit,
            "source": p.source,
            "observed_at": p.observed_at,
        }
        for p in ingredient.recent
    ]
    return {**ingredient_row(ingredient), "history": rows}


@router.post("/ingredients/{ingredient_id}/prices", response=responses({201: IngredientOut}))
async def record_price(request: ApiRequest, payload: PriceIn, ingredient_id: RecipeId):
    _require_staff(request)
    ingredient = await Ingredient.objects.filter(pk=ingredient_id).afirst()
    if ingredient is None:
        raise Http404("no such ingredient")
    observed = payload.observed_at or datetime.now(tz=UTC)  # Timestamp: always in UTC
    currency = payload.currency or settings.PRICE_CURRENCY
    quote = PriceQuote(ingredient=ingredient.name, price=payload.price, currency=currency,
                       unit=payload.unit, observed_at=observed, source="api")  # fmt: skip
    result = await sync_to_async(prices_record)(quotes=[quote])
    if result.skipped:
        from django.core.exceptions import ValidationError

        raise ValidationError({"unit": result.skipped})
    await ingredient.arefresh_from_db()
    return Status(201, ingredient_row(ingredient))


@router.post("/prices/refresh", response=responses({200: RefreshOut}, extra_errors=frozenset({502})))
async def refresh_prices(request: ApiRequest):
    _require_staff(request)
    provider = configured_provider()
    try:
        result, rejected = await prices_refresh(provider=provider)
    except ProviderError as error:
        from ninja.errors import HttpError

        raise HttpError(502, f"{provider.name}: {error}; stored prices are unchanged") from None
    return {"provider": provider.name, "recorded": result.recorded, "changed": result.changed,
            "rejected": rejected, "skipped": result.skipped}  # fmt: skip
