"""Drop a user's cached copies (accounts/backends.py) whenever the user row changes."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.backends import near_users, user_cache_key


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.user-cache-save")
@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.user-cache-delete")
def drop_cached_user(sender, instance, **kwargs) -> None:
    key = user_cache_key(instance.pk)
    cache.delete(key)
    # A request that read the old row before this commit may have cached it again meanwhile.
    transaction.on_commit(lambda: cache.delete(key), robust=True)
    near_users.invalidate_on_commit(str(instance.pk))  # other processes' copies
