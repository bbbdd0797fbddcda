"""Account writes: a user and their chef profile are created together or not at all."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from accounts.models import ApiToken
from kitchen.models import Chef

TOKEN_BYTES = 32


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
def chef_update_profile(*, chef: Chef, speciality: str, experience_years: int, first_name: str, last_name: str) -> Chef:
    chef.speciality = speciality
    chef.experience_years = experience_years
    chef.full_clean()
    chef.save(update_fields=["speciality", "experience_years"])
    user = chef.user
    user.first_name, user.last_name = first_name, last_name
    user.save(update_fields=["first_name", "last_name"])
    return chef


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored or shown again."""
    secret = "brg_" + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken.objects.create(user=user, name=name.strip()[:60] or "token", prefix=secret[:8],
                                    key_hash=token_hash(secret))  # fmt: skip
    return token, secret


def api_token_revoke(*, user: User, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)
