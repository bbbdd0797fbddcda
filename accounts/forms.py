from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from core.forms import NameField


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False)
    speciality = NameField(max_length=100, required=False)
    experience_years = forms.IntegerField(min_value=0, max_value=80, initial=0)

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # missing from django-stubs
        fields = ("username", "email")

    def save(self, commit: bool = True):  # pragma: no cover - the view calls the service instead
        raise NotImplementedError("use accounts.services.user_sign_up")


class ProfileForm(forms.Form):
    first_name = NameField(max_length=150, required=False)
    last_name = NameField(max_length=150, required=False)
    speciality = NameField(max_length=100, required=False)
    experience_years = forms.IntegerField(min_value=0, max_value=80)


class TokenForm(forms.Form):
    name = NameField(max_length=60, required=False)
