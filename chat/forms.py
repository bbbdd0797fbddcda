from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from chat.models import ROOM_NAME_PATTERN
from core.forms import NameField


class OpenRoomForm(forms.Form):
    name = NameField(
        label="Room name",
        max_length=64,
        validators=[RegexValidator(ROOM_NAME_PATTERN, "Use letters, digits, - and _ (at most 64).")],
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name.startswith("recipe-"):
            raise forms.ValidationError("Names starting with recipe- are kept for recipe rooms.")
        return name
