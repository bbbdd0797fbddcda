from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts import selectors
from accounts.forms import InvitationForm, LoginForm, ProfileForm, SignUpForm, TokenForm
from accounts.services import (
    SignUpRefused,
    api_token_create,
    api_token_revoke,
    chef_update_profile,
    invitation_create,
    user_join,
)
from core.types import AuthenticatedHttpRequest
from kitchen.models import Chef


class LoginView(auth_views.LoginView):
    """Django's log-in page, throttled (accounts/throttle.py): a throttled attempt gets 429."""

    form_class = LoginForm

    def form_invalid(self, form):
        status = 429 if form.has_error(NON_FIELD_ERRORS, "throttled") else 200
        return self.render_to_response(self.get_context_data(form=form), status=status)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("kitchen:recipe-list")
    token = request.GET.get("invite", "")
    if refusal := selectors.signup_refusal(invitation_token=token):
        return render(request, "accounts/signup_refused.html", {"reason": refusal}, status=403)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_join(
                invitation_token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data["email"],
                speciality=form.cleaned_data["speciality"],
                experience_years=form.cleaned_data["experience_years"],
            )
        except SignUpRefused as refused:  # e.g. the link was used by someone else meanwhile
            return render(request, "accounts/signup_refused.html", {"reason": str(refused)}, status=403)
        except IntegrityError:  # the name was taken between the form's check and the insert
            form.add_error("username", "A user with that username already exists.")
            return render(request, "accounts/signup.html", {"form": form}, status=400)
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(request, f"Welcome to the brigade, {user.get_username()}.")
        return redirect("kitchen:recipe-list")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def invitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff make single-use sign-up links here (SIGNUP=invite); the link is shown once."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff may invite.")
    form = InvitationForm(request.POST or None)
    link, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            _, token = invitation_create(created_by=request.user, note=form.cleaned_data["note"])
        except SignUpRefused as refused:
            form.add_error(None, str(refused))
        else:
            link = request.build_absolute_uri(f"{reverse('accounts:signup')}?invite={token}")
            form, status = InvitationForm(), 201
    if form.errors:
        status = 400
    context = {
        "form": form,
        "link": link,
        "invitations": selectors.invitations_for_staff(user=request.user),
        "signup": settings.SIGNUP,
        "days": settings.INVITATION_DAYS,
    }
    return render(request, "accounts/invitations.html", context, status=status)


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
