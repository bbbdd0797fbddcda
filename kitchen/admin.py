from django.contrib import admin

from kitchen.models import Category, Chef, Ingredient, Recipe, RecipeIngredient, Step


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


@admin.register(Ingredient)
class IngredientAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "stock", "current_price", "currency", "priced_at"]
    search_fields = ["name"]
    list_filter = ["unit", "currency"]
