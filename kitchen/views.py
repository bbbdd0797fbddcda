from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat.models import MESSAGE_MAX_LENGTH
from chat.selectors import recipe_room_name, room_for_page
from core.decorators import alogin_required
from core.shortcuts import arender
from core.types import AuthenticatedHttpRequest
from kitchen import selectors, services
from kitchen.charts import price_chart
from kitchen.collab import history as collab_history
from kitchen.collab import store
from kitchen.forms import LineFormSet, RecipeFilterForm, RecipeForm
from kitchen.models import Category, Chef, Ingredient, Recipe, RecipeVersion, Unit
from kitchen.overview import dashboard_parts, kitchen_overview_json
from kitchen.pricing.costing import recipe_cost


def _page_number(raw: str | None) -> int:
    """?page=: a positive number; anything else is the first page (the selector clamps past the end)."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 else 1


@alogin_required
@require_GET
async def recipe_list(request: HttpRequest) -> HttpResponse:
    """Recipes you may see, searched, filtered and sorted from the query string, 25 to a page."""
    user = await request.auser()
    chefs, categories = await selectors.chefs_for_filter(), await selectors.categories_for_filter()
    form = RecipeFilterForm(request.GET, chefs=chefs, categories=categories)
    filters = form.filters()
    recipes = selectors.recipes_search(user=user, **filters)
    page = await selectors.recipes_page(recipes=recipes, number=_page_number(request.GET.get("page")))
    filtered = any(value for name, value in filters.items() if name != "sort")
    context = {"page": page, "form": form, "problems": form.problems(), "filtered": filtered}
    return await arender(request, "kitchen/recipe_list.html", context)


@login_required
@require_POST
def recipe_complete(request: AuthenticatedHttpRequest, recipe_id: int) -> HttpResponse:
    """ "Mark as completed": the owner and collaborators are e-mailed (after commit, by a worker)."""
    recipe = selectors.recipe_detail(user=request.user, recipe_id=recipe_id)
    if recipe is None:
        raise Http404("No such recipe")
    if not selectors.recipe_can_edit(user=request.user, recipe=recipe):
        raise PermissionDenied("Only the owner and collaborators may complete this recipe.")
    if recipe.status == recipe.Status.COMPLETED:
        messages.info(request, "This recipe was already completed.")
    else:
        services.recipe_complete(recipe=recipe, by=request.user)
        messages.success(request, "Completed: everyone working on it gets an e-mail.")
    back = "kitchen:recipe-edit" if request.POST.get("next") == "edit" else "kitchen:recipe-detail"
    return redirect(back, recipe_id=recipe.pk)


@login_required
@require_GET
def recipe_detail(request: HttpRequest, recipe_id: int) -> HttpResponse:
    recipe = selectors.recipe_detail(user=request.user, recipe_id=recipe_id)
    if recipe is None:
        raise Http404("No such recipe")
    chat_room = room_for_page(user=request.user, name=recipe_room_name(recipe.pk))
    can_share = selectors.recipe_can_share(user=request.user, recipe=recipe)
    return render(
        request,
        "kitchen/recipe_detail.html",
        {
            "recipe": recipe,
            "can_edit": selectors.recipe_can_edit(user=request.user, recipe=recipe),
            "can_share": can_share,
            "chefs_to_add": selectors.chefs_to_add(recipe=recipe) if can_share else [],
            "chat_room": chat_room,
            "cost": recipe_cost(recipe),
            "chat_max_length": MESSAGE_MAX_LENGTH,
        },
    )


def _visible_recipe(request: AuthenticatedHttpRequest, recipe_id: int) -> Recipe:
    recipe = selectors.recipes_visible_to(user=request.user).filter(pk=recipe_id).first()
    if recipe is None:
        raise Http404("No such recipe")
    return recipe


def _editable_recipe(request: AuthenticatedHttpRequest, recipe_id: int) -> Recipe:
    recipe = _visible_recipe(request, recipe_id)
    if not selectors.recipe_can_edit(user=request.user, recipe=recipe):
        raise PermissionDenied("Only the owner and collaborators may change this recipe.")
    return recipe


def _shared_recipe(request: AuthenticatedHttpRequest, recipe_id: int) -> Recipe:
    recipe = _visible_recipe(request, recipe_id)
    if not selectors.recipe_can_share(user=request.user, recipe=recipe):
        raise PermissionDenied("Only the recipe's owner chooses who edits it.")
    return recipe


@login_required
@require_GET
def recipe_history(request: AuthenticatedHttpRequest, recipe_id: int) -> HttpResponse:
    """The recipe's saved versions, newest first, each compared with the recipe now."""
    recipe = _visible_recipe(request, recipe_id)
    history = collab_history.recipe_history(recipe_id=recipe.pk, number=_page_number(request.GET.get("page")))
    context = {
        "recipe": recipe,
        "history": history,
        "can_edit": selectors.recipe_can_edit(user=request.user, recipe=recipe),
    }
    return render(request, "kitchen/recipe_history.html", context)


@login_required
@require_POST
def recipe_version_save(request: AuthenticatedHttpRequest, recipe_id: int) -> HttpResponse:
    """ "Save a version now", for the owner and collaborators."""
    recipe = _editable_recipe(request, recipe_id)
    saved = store.version_save_by_hand(recipe_id=recipe.pk, by=request.user)
    if saved is None:
        raise Http404("No such recipe")
    if saved[1]:
        messages.success(request, "Saved: the recipe as it is now is the newest version.")
    else:
        messages.info(request, "Nothing changed since the newest version, so it was not saved again.")
    return redirect("kitchen:recipe-history", recipe_id=recipe.pk)


@login_required
@require_POST
def recipe_version_restore(request: AuthenticatedHttpRequest, recipe_id: int, version_id: int) -> HttpResponse:
    """Restore a version as a new change: open editors receive it live, and it can be undone."""
    recipe = _editable_recipe(request, recipe_id)
    version = RecipeVersion.objects.filter(pk=version_id, recipe=recipe).defer("state").first()
    if version is None:
        raise Http404("No such version")
    when = date_format(localtime(version.created_at), "j M Y, H:i")
    if store.version_restore(version=version, by=request.user) is None:
        messages.info(request, f"Nothing to restore: the recipe is as it was on {when} (its status aside).")
    else:
        messages.success(
            request, f"Restored the version of {when}. The recipe as it was before is kept: restore it to undo."
        )
    if request.POST.get("next") == "edit":  # the editor's History panel
        return redirect(f"{reverse('kitchen:recipe-edit', args=[recipe.pk])}#editor-history")
    return redirect("kitchen:recipe-history", recipe_id=recipe.pk)


def _collaborators_section(request: HttpRequest, recipe: Recipe) -> HttpResponse:
    """Back to the section the form was on: the recipe page's, or the editor's (next=edit)."""
    page = "kitchen:recipe-edit" if request.POST.get("next") == "edit" else "kitchen:recipe-detail"
    return redirect(f"{reverse(page, args=[recipe.pk])}#collaborators")


@login_required
@require_POST
def recipe_collaborator_add(request: AuthenticatedHttpRequest, recipe_id: int) -> HttpResponse:
    """The owner lets another chef co-edit the recipe, by username."""
    recipe = _shared_recipe(request, recipe_id)
    try:
        chef = services.recipe_collaborator_add(recipe=recipe, username=request.POST.get("username", ""))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{chef.user.username} can now edit this recipe.")
    return _collaborators_section(request, recipe)


@login_required
@require_POST
def recipe_collaborator_remove(request: AuthenticatedHttpRequest, recipe_id: int, chef_id: int) -> HttpResponse:
    """The owner takes a chef off the recipe; that chef's open editors close at once."""
    recipe = _shared_recipe(request, recipe_id)
    try:
        chef = services.recipe_collaborator_remove(recipe=recipe, chef_id=chef_id)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{chef.user.username} no longer edits this recipe.")
    return _collaborators_section(request, recipe)


@login_required
@require_POST
def ingredient_create(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Any chef adds an ingredient (the editor's "Create it" beside a line naming none): JSON, 201 with
    the ingredient or 400 with the reason. `recipe`, a recipe the chef edits, is written back again at once."""
    raw = request.POST.get("recipe", "")
    recipe = None
    if raw:
        if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
            raise Http404("No such recipe")
        recipe = _editable_recipe(request, int(raw))
    try:
        ingredient = services.ingredient_create(
            name=request.POST.get("name", ""), unit=request.POST.get("unit") or Unit.GRAM, for_recipe=recipe
        )
    except ValidationError as error:
        return JsonResponse({"error": error.messages[0]}, status=400)
    return JsonResponse({"id": ingredient.pk, "name": ingredient.name, "unit": ingredient.unit}, status=201)


def _unauthenticated() -> JsonResponse:
    return JsonResponse({"error": "authentication required"}, status=401)


@alogin_required
@require_GET
async def dashboard(request: HttpRequest) -> HttpResponse:
    """HTML dashboard: recipes, costs, stock and market prices gathered concurrently."""
    tables_html, live_prices = await dashboard_parts(user=await request.auser())
    return await arender(request, "kitchen/dashboard.html", {"tables_html": tables_html, "live_prices": live_prices})


@login_required
@require_GET
def ingredient_detail(request: HttpRequest, ingredient_id: int) -> HttpResponse:
    """An ingredient's stock, current price and price history, with a chart; the price updates live."""
    ingredient = selectors.ingredients_with_history().filter(pk=ingredient_id).first()
    if ingredient is None:
        raise Http404("No such ingredient")
    context = {"ingredient": ingredient, "history": ingredient.recent, "chart": price_chart(ingredient)}
    return render(request, "kitchen/ingredient_detail.html", context)


@require_GET
async def overview(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    if not user.is_authenticated:
        return _unauthenticated()
    return HttpResponse(await kitchen_overview_json(user=user), content_type="application/json")


def _lines(formset) -> list[services.LineInput]:
    return [
        services.LineInput(ingredient=f.cleaned_data["ingredient"], quantity=f.cleaned_data["quantity"],
                           unit=f.cleaned_data["unit"], note=f.cleaned_data["note"])
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]  # fmt: skip


def _recipe_fields(form: RecipeForm) -> dict:
    return {name: form.cleaned_data[name] for name in services.RECIPE_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def recipe_create(request: HttpRequest) -> HttpResponse:
    form = RecipeForm(request.POST or None)
    formset = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        owner, _ = Chef.objects.get_or_create(user=request.user)
        recipe = services.recipe_create(
            owner=owner, **_recipe_fields(form), categories=form.cleaned_data["categories"],
            lines=_lines(formset), steps=form.cleaned_data["steps"],
        )  # fmt: skip
        return redirect("kitchen:recipe-detail", recipe_id=recipe.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "kitchen/recipe_form.html", {"form": form, "formset": formset}, status=status)


EDITOR_VERSIONS = 5  # the newest versions in the editor's History panel; the history page has them all


@login_required
@require_GET
def recipe_edit(request: HttpRequest, recipe_id: int) -> HttpResponse:
    """The co-editing page: the recipe's shared document, edited live by its owner and
    collaborators (kitchen/collab, frontend/src/editor.js); other chefs who may see the recipe
    watch it read-only; anyone else gets a 404."""
    recipe = selectors.recipe_detail(user=request.user, recipe_id=recipe_id)
    if recipe is None:
        raise Http404("No such recipe")
    context = {
        "recipe": recipe,
        "can_edit": selectors.recipe_can_edit(user=request.user, recipe=recipe),
        "cost": recipe_cost(recipe),
        "chat_room": room_for_page(user=request.user, name=recipe_room_name(recipe.pk)),
        "chat_max_length": MESSAGE_MAX_LENGTH,
        "units": Unit.choices,
        "difficulties": Recipe.Difficulty.choices,
        "categories": list(Category.objects.values_list("pk", "name")),
        "ingredient_names": list(Ingredient.objects.values_list("name", flat=True)),
        "versions": collab_history.versions_newest(recipe_id=recipe.pk, limit=EDITOR_VERSIONS),
    }
    context["can_share"] = selectors.recipe_can_share(user=request.user, recipe=recipe)
    context["chefs_to_add"] = selectors.chefs_to_add(recipe=recipe) if context["can_share"] else []
    return render(request, "kitchen/recipe_editor.html", context)
