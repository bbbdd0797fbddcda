from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User

from core.forms import ModelIdChoiceField, NameField, TextField
from notifications.selectors import chefs_to_ask


class RecipeRequestForm(forms.Form):
    chef = ModelIdChoiceField(queryset=None, label="Chef to ask", empty_label="Choose a chef")
    name = NameField(max_length=200, label="Recipe", help_text="e.g. Sauce bordelaise")
    note = TextField(max_length=2000, required=False, label="Note (optional)",
                     widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chef"].queryset = chefs_to_ask(user=user)  # type: ignore[attr-defined]
