"""Account reads."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Invitation

CLOSED_MESSAGE = "Sign-up is closed here. Ask an admin of this kitchen to create an account for you."
NEEDS_INVITATION_MESSAGE = "Sign-up here is by invitation only. Ask a member of staff for an invitation link."
BAD_INVITATION_MESSAGE = "This invitation link is not valid: it may have been used already or have expired."


def token_hash(token: str) -> str:
    """What is stored of an API token or an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


def signup_refusal(*, invitation_token: str) -> str:
    """Why someone may not sign up now under SIGNUP ("" if they may)."""
    if settings.SIGNUP == "closed":
        return CLOSED_MESSAGE
    if settings.SIGNUP == "invite" and not invitation_token:
        return NEEDS_INVITATION_MESSAGE
    if settings.SIGNUP == "invite" and not invitation_is_usable(token=invitation_token):
        return BAD_INVITATION_MESSAGE
    return ""


def invitation_is_usable(*, token: str) -> bool:
    return Invitation.objects.filter(
        token_hash=token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def invitations_for_staff(*, user: User) -> QuerySet[Invitation]:
    """The latest invitations, by anyone on the staff (each shows who made it and who used it)."""
    if not user.is_staff:
        return Invitation.objects.none()
    return Invitation.objects.select_related("created_by", "used_by")[:50]
