"""Form fields that apply core.validators, so forms check text exactly as the API and sockets do."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.validators import clean_name, clean_text

BIGINT = range(-(2**63), 2**63)


class NameField(forms.CharField):
    """A one-line name: trimmed, no control, invisible or unassigned characters."""

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return value if value in self.empty_values else clean_name(value)


class TextField(forms.CharField):
    """Free text: line breaks become LF; no other control character."""

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return value if value in self.empty_values else clean_text(value)


class ModelMultipleIdChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]  # not generic at run time
    """Ids beyond a bigint are an invalid choice, not a database error (SQLite cannot bind them)."""

    def clean(self, value: Any) -> Any:
        for pk in value or ():
            try:
                out_of_range = int(str(pk)) not in BIGINT
            except ValueError:
                continue  # not a number: Django's own check says so
            if out_of_range:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": pk})  # fmt: skip
        return super().clean(value)


class ModelIdChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # not generic at run time
    """One object by id; an id beyond a bigint is an invalid choice, not a database error."""

    def to_python(self, value: Any) -> Any:
        try:
            out_of_range = value not in self.empty_values and int(str(value)) not in BIGINT
        except ValueError:
            out_of_range = False  # not a number: Django's own check says so
        if out_of_range:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)
