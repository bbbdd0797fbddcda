from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm, SignUpForm, TokenForm
from accounts.services import api_token_create, api_token_revoke, chef_update_profile, user_sign_up
from core.types import AuthenticatedHttpRequest
from kitchen.models import Chef


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("kitchen:recipe-list")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_sign_up(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            email=form.cleaned_data["email"],
            speciality=form.cleaned_data["speciality"],
            experience_years=form.cleaned_data["experience_years"],
        )
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(request, f"Welcome to the brigade, {user.get_username()}.")
        return redirect("kitchen:recipe-list")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    chef, _ = Chef.objects.get_or_create(user=request.user)
    initial = {
        "first_name": request.user.first_name,
        "last_name": request.user.last_name,
        "speciality": chef.speciality,
        "experience_years": chef.experience_years,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        chef_update_profile(chef=chef, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return _profile_page(request, form=form, chef=chef, status=400 if form.errors else 200)


def _profile_page(
    request: AuthenticatedHttpRequest,
    *,
    form: ProfileForm,
    chef: Chef,
    status: int = 200,
    secret: str = "",
    token_form: TokenForm | None = None,
) -> HttpResponse:
    tokens = request.user.api_tokens.all()
    context = {"form": form, "chef": chef, "tokens": tokens, "new_secret": secret, "token_form": token_form}
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    chef, _ = Chef.objects.get_or_create(user=request.user)
    token_form = TokenForm(request.POST)
    form = ProfileForm(initial={"first_name": request.user.first_name, "last_name": request.user.last_name,
                                "speciality": chef.speciality, "experience_years": chef.experience_years})  # fmt: skip
    if not token_form.is_valid():
        return _profile_page(request, form=form, chef=chef, status=400, token_form=token_form)
    _, secret = api_token_create(user=request.user, name=token_form.cleaned_data["name"])
    return _profile_page(request, form=form, chef=chef, status=201, secret=secret)


@login_required
@require_http_methods(["POST"])
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    if api_token_revoke(user=request.user, token_id=token_id):
        messages.success(request, "Token revoked.")
    return redirect("accounts:profile")
