from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError

from accounts.throttle import client_address, login_failure_record, login_wait_seconds, throttled_message
from core.forms import NameField


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=False)
    speciality = NameField(max_length=100, required=False)
    experience_years = forms.IntegerField(min_value=0, max_value=80, initial=0)

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # missing from django-stubs
        fields = ("username", "email")

    def save(self, commit: bool = True):  # pragma: no cover - the view calls the service instead
        raise NotImplementedError("use accounts.services.user_join")


class ProfileForm(forms.Form):
    first_name = NameField(max_length=150, required=False)
    last_name = NameField(max_length=150, required=False)
    speciality = NameField(max_length=100, required=False)
    experience_years = forms.IntegerField(min_value=0, max_value=80)


class TokenForm(forms.Form):
    name = NameField(max_length=60, required=False)


class InvitationForm(forms.Form):
    note = forms.CharField(max_length=100, required=False, help_text="who it is for (shown only to staff)")


class ThrottledLoginMixin:
    """Refuses a log-in while its account or client address is throttled, and counts failures.

    The check comes before the password is checked, so a throttled answer is the same (and as
    fast) for an account that exists and one that does not.
    """

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not username or not password:
            return super().clean()
        address = client_address(self.request) if self.request is not None else "unknown"
        if wait := login_wait_seconds(username=username, address=address):
            raise ValidationError(throttled_message(wait), code="throttled")
        try:
            return super().clean()
        except ValidationError:
            login_failure_record(username=username, address=address)
            raise


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
