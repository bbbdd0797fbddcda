"""Account writes: a user and their chef profile are created together or not at all."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, Invitation
from accounts.selectors import BAD_INVITATION_MESSAGE, signup_refusal, token_hash
from kitchen.models import Chef

TOKEN_BYTES = 32


class SignUpRefused(Exception):
    """Someone may not create an account here; the message says why and what to do."""


@transaction.atomic
def user_sign_up(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    speciality: str = "",
    experience_years: int = 0,
    is_staff: bool = False,
) -> User:
    user = get_user_model().objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
    )
    Chef.objects.create(user=user, speciality=speciality, experience_years=experience_years)
    return user


@transaction.atomic
def user_join(
    *,
    invitation_token: str = "",
    username: str,
    password: str,
    email: str = "",
    speciality: str = "",
    experience_years: int = 0,
) -> User:
    """Someone signing themselves up as a chef, as SIGNUP allows: anyone, with an invitation, or no one.

    The invitation is spent in the transaction that creates the account: only if the account
    is made, and only once.
    """
    if refusal := signup_refusal(invitation_token=invitation_token):
        raise SignUpRefused(refusal)
    user = user_sign_up(username=username, password=password, email=email, speciality=speciality,
                        experience_years=experience_years)  # fmt: skip
    if settings.SIGNUP == "invite":
        invitation_redeem(token=invitation_token, user=user)
    return user


def invitation_create(*, created_by: User, note: str = "") -> tuple[Invitation, str]:
    """A single-use link's invitation and its token, which is never stored or shown again."""
    if settings.SIGNUP != "invite":
        raise SignUpRefused(f"Invitations are accepted only when SIGNUP=invite (it is {settings.SIGNUP}).")
    if not created_by.is_staff:
        raise SignUpRefused("Only staff may invite.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation.objects.create(
        token_hash=token_hash(token),
        note=note.strip()[:100],
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    return invitation, token


def invitation_redeem(*, token: str, user: User) -> None:
    """Spend an unused, unexpired invitation on `user`, or raise SignUpRefused.

    One conditional UPDATE: of two sign-ups racing for the same link, the database lets exactly
    one change the row (the other finds it used, and its transaction is rolled back).
    """
    now = timezone.now()
    usable = Invitation.objects.filter(token_hash=token_hash(token), used_at__isnull=True, expires_at__gt=now)
    spent = usable.update(used_at=now, used_by=user)
    if spent != 1:
        raise SignUpRefused(BAD_INVITATION_MESSAGE)  # spent or expired since signup_refusal looked


@transaction.atomic
def chef_update_profile(*, chef: Chef, speciality: str, experience_years: int, first_name: str, last_name: str) -> Chef:
    chef.speciality = speciality
    chef.experience_years = experience_years
    chef.full_clean()
    chef.save(update_fields=["speciality", "experience_years"])
    user = chef.user
    user.first_name, user.last_name = first_name, last_name
    user.save(update_fields=["first_name", "last_name"])
    return chef


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored or shown again."""
    secret = "brg_" + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken.objects.create(user=user, name=name.strip()[:60] or "token", prefix=secret[:8],
                                    key_hash=token_hash(secret))  # fmt: skip
    return token, secret


def api_token_revoke(*, user: User, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)
