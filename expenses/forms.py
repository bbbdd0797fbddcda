"""The page's forms: fields as text, checked by expenses/inputs.py (the rules the API and socket use)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from expenses import inputs
from expenses.models import CATEGORY_NAME_MAX, DESCRIPTION_MAX, ExpenseCategory


def _errors_to_form(form: forms.Form, error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ExpenseForm(forms.Form):
    amount = forms.CharField(
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00", "autocomplete": "off"}),
    )
    date = forms.CharField(max_length=10, widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.ChoiceField(required=False)
    description = forms.CharField(
        required=False, max_length=DESCRIPTION_MAX, widget=forms.TextInput(attrs={"placeholder": "What was it?"})
    )

    def __init__(self, *args: Any, categories: list[ExpenseCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "No category"), *((str(c.pk), c.name) for c in categories)]
        self.fields["category"].choices = choices  # type: ignore[attr-defined]
        earliest, latest = inputs.date_bounds()
        self.fields["date"].widget.attrs.update(min=earliest.isoformat(), max=latest.isoformat())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            data["input"] = inputs.expense_input(
                amount=data.get("amount"),
                date=data.get("date"),
                description=data.get("description", ""),
                category=data.get("category"),
            )
        except ValidationError as error:
            _errors_to_form(self, error)
        return data


class SettingsForm(forms.Form):
    monthly_limit = forms.CharField(
        required=False,
        max_length=40,
        label="Monthly limit (all expenses)",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "No limit"}),
    )
    notifications = forms.BooleanField(required=False, label="E-mail me about expenses and crossed limits")


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=CATEGORY_NAME_MAX)
    monthly_limit = forms.CharField(
        required=False,
        max_length=40,
        label="Monthly limit",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "No limit"}),
    )


def errors_into(form: forms.Form, error: ValidationError) -> None:
    """A service's field errors shown on the form that sent them."""
    _errors_to_form(form, error)
