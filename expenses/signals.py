"""Every user has expense settings from the start, however the user was created (sign-up, admin,
createsuperuser, a test factory)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from expenses.services import expense_settings_create


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="expenses.settings-for-new-user")
def settings_for_new_user(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if created and not raw:  # a fixture load brings its own rows
        expense_settings_create(user_id=instance.pk)
