from django.contrib import admin, messages

from kitchen.models import Category, Chef, Ingredient, IngredientPrice, Recipe, RecipeIngredient, Step
from kitchen.pricing.providers import PriceQuote, ProviderError, configured_provider
from kitchen.pricing.services import prices_record, prices_refresh_blocking
from kitchen.services import recipe_delete, recipe_saved_elsewhere


@admin.register(Chef)
class ChefAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "speciality", "experience_years"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "speciality"]
    list_select_related = ["user"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class RecipeIngredientInline(admin.TabularInline):
    model = RecipeIngredient
    extra = 0
    autocomplete_fields = ["ingredient"]


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


@admin.register(Recipe)
class RecipeAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "status", "difficulty", "servings", "prep_time", "updated_at"]
    list_filter = ["status", "difficulty", "categories"]
    search_fields = ["name", "description", "owner__user__username"]
    list_select_related = ["owner__user"]
    autocomplete_fields = ["owner", "collaborators"]
    filter_horizontal = ["categories"]
    date_hierarchy = "updated_at"
    inlines = [RecipeIngredientInline, StepInline]

    def delete_model(self, request, obj) -> None:
        recipe_delete(recipe=obj)

    def delete_queryset(self, request, queryset) -> None:
        for recipe in queryset:
            recipe_delete(recipe=recipe)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # A completion is a change from draft (the status the form was loaded with) to completed.
        was_draft = change and form.initial.get("status") == Recipe.Status.DRAFT
        recipe_saved_elsewhere(recipe=form.instance, was_draft=was_draft, by=request.user)


@admin.register(Ingredient)
class IngredientAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "stock", "current_price", "currency", "priced_at"]
    search_fields = ["name"]
    list_filter = ["unit", "currency"]
    # Prices change only through kitchen.pricing.services (add an Ingredient price, or refresh).
    readonly_fields = ["current_price", "currency", "priced_at"]
    actions = ["refresh_prices"]

    @admin.action(description="Refresh all prices from the configured provider")
    def refresh_prices(self, request, queryset) -> None:
        provider = configured_provider()
        try:
            result, rejected = prices_refresh_blocking(provider=provider)
        except ProviderError as error:
            self.message_user(request, f"{provider.name}: {error}; prices unchanged", messages.ERROR)
            return
        self.message_user(
            request,
            f"{provider.name}: {len(result.changed)} price(s) changed, {result.recorded} new observation(s), "
            f"{len(rejected)} rejected.",
        )


@admin.register(IngredientPrice)
class IngredientPriceAdmin(admin.ModelAdmin):
    list_display = ["ingredient", "price", "currency", "unit", "source", "observed_at"]
    list_filter = ["source", "currency"]
    search_fields = ["ingredient__name"]
    autocomplete_fields = ["ingredient"]
    readonly_fields = ["source"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # history is append-only

    def save_model(self, request, obj, form, change) -> None:
        quote = PriceQuote(ingredient=obj.ingredient.name, price=obj.price, currency=obj.currency.upper(),
                           unit=obj.unit, observed_at=obj.observed_at, source="admin")  # fmt: skip
        result = prices_record(quotes=[quote])
        if result.skipped:
            self.message_user(request, "; ".join(result.skipped), messages.ERROR)
        recorded = IngredientPrice.objects.filter(
            ingredient=obj.ingredient, source="admin", observed_at=obj.observed_at
        )
        obj.pk = recorded.values_list("pk", flat=True).first()
