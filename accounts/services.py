"""Account writes: a user and their chef profile are created together or not at all."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from kitchen.models import Chef


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
) -> AbstractUser:
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
