"""Reads for imports: a user's files and the job that imported each."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from imports.models import ImportFile
from imports.services import IMPORT_KIND
from jobs.models import Job


def import_files_of(*, user: User | AnonymousUser) -> QuerySet[ImportFile]:
    return ImportFile.objects.filter(owner_id=user.pk) if user.is_authenticated else ImportFile.objects.none()


def import_file_visible(*, user: User | AnonymousUser, file_id: int) -> ImportFile | None:
    return import_files_of(user=user).filter(pk=file_id).first()


def import_job_of(import_file: ImportFile) -> Job | None:
    """The newest job importing this file."""
    return (
        Job.objects.filter(owner_id=import_file.owner_id, kind=IMPORT_KIND, params__file_id=import_file.pk)
        .select_related("owner")
        .order_by("-created_at", "-id")
        .first()
    )
