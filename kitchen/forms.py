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
