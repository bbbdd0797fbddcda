from __future__ import annotations

from decimal import Decimal

from django import forms

from core.forms import ModelMultipleIdChoiceField, NameField, TextField
from kitchen.models import Category, Ingredient, Recipe, Unit

MAX_STEPS = 100
MAX_STEP_LENGTH = 2000


class RecipeForm(forms.Form):
    name = NameField(max_length=200)
    description = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10_000)
    servings = forms.IntegerField(min_value=1, max_value=1000, initial=4)
    prep_time = forms.IntegerField(min_value=0, max_value=7 * 24 * 60, initial=30, label="Preparation (minutes)")
    difficulty = forms.ChoiceField(choices=Recipe.Difficulty.choices, initial=Recipe.Difficulty.MEDIUM)
    status = forms.ChoiceField(choices=Recipe.Status.choices, initial=Recipe.Status.DRAFT)
    categories = ModelMultipleIdChoiceField(queryset=Category.objects.all(), required=False)
    steps = TextField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, help_text="One step per line.", max_length=100_000
    )

    def clean_steps(self) -> list[str]:
        steps = [line.strip() for line in self.cleaned_data["steps"].splitlines() if line.strip()]
        if len(steps) > MAX_STEPS:
            raise forms.ValidationError(f"At most {MAX_STEPS} steps.")
        if any(len(step) > MAX_STEP_LENGTH for step in steps):
            raise forms.ValidationError(f"A step may be at most {MAX_STEP_LENGTH} characters.")
        return steps


class LineForm(forms.Form):
    ingredient = forms.ModelChoiceField(queryset=Ingredient.objects.all())
    quantity = forms.DecimalField(min_value=Decimal("0.001"), max_digits=10, decimal_places=3)
    unit = forms.ChoiceField(choices=Unit.choices, initial=Unit.GRAM)
    note = TextField(max_length=200, required=False)


LineFormSet = forms.formset_factory(LineForm, extra=3, max_num=100, validate_max=True, can_delete=True)


RECIPE_SORT_CHOICES = [
    ("newest", "Newest first"),
    ("popular", "Popular (most discussed)"),
    ("name", "Name"),
    ("quickest", "Quickest to make"),
]


class RecipeFilterForm(forms.Form):
    """The recipe list's filters, from the query string; a value that does not fit is reported and left out."""

    q = forms.CharField(
        max_length=100,
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or description"}),
    )
    difficulty = forms.ChoiceField(choices=[("", "Any difficulty"), *Recipe.Difficulty.choices], required=False)
    chef = forms.ChoiceField(required=False)
    category = forms.ChoiceField(required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *Recipe.Status.choices], required=False)
    sort = forms.ChoiceField(choices=RECIPE_SORT_CHOICES, required=False, label="Sort by")

    def __init__(self, data, *, chefs: list[tuple[str, str]], categories: list[tuple[str, str]]) -> None:
        super().__init__(data)
        self.fields["chef"].choices = [("", "Any chef"), *chefs]  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["category"].choices = [("", "Any category"), *categories]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, str]:
        """The valid filters as recipes_search arguments (invalid ones left out, so never an error page)."""
        self.is_valid()
        values = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        values["sort"] = values["sort"] or "newest"
        return values

    def problems(self) -> list[str]:
        return [f"{self.fields[name].label or name.title()}: {errors[0]}" for name, errors in self.errors.items()]
