from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Q


class ApiToken(models.Model):
    """A personal API token for scripts. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=8, help_text="first characters, to recognise a token")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Invitation(models.Model):
    """A single-use, expiring sign-up link (SIGNUP=invite). Only the token's SHA-256 is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    note = models.CharField(max_length=100, blank=True, help_text="who it is for")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(used_by__isnull=True) | Q(used_at__isnull=False), name="invitation_used_by_has_used_at"
            )
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.note or 'no note'})"


class SessionUser(User):
    """The signed-in user as the async request path caches it (accounts/backends.py).

    Built from a JSON entry without the password hash, it answers `get_session_auth_hash()` from
    the HMAC kept in that entry and refuses to be saved or deleted. Fields left out of the entry
    (email, dates) load from the database on first access, which an async view must not do.
    """

    # Set by accounts/backends.py from the cached entry.
    _session_auth_hash: str
    _session_auth_fallback_hashes: tuple[str, ...]

    class Meta:
        proxy = True
        default_permissions = ()

    def get_session_auth_hash(self) -> str:
        return self._session_auth_hash

    def get_session_auth_fallback_hash(self):
        yield from self._session_auth_fallback_hashes

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        if fields is None or "password" in fields:
            raise TypeError("a SessionUser carries no password hash: load the user from the database")
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    def save(self, *args, **kwargs) -> None:
        raise TypeError("a SessionUser is a read-only cached copy: load the user from the database to change it")

    def delete(self, *args, **kwargs):
        raise TypeError("a SessionUser is a read-only cached copy: load the user from the database to delete it")

    async def asave(self, *args, **kwargs) -> None:
        self.save()

    async def adelete(self, *args, **kwargs):
        self.delete()
