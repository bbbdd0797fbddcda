"""Writes for imports: keep a file (uploaded, or a page fetched) where workers can read it, preview
it, and start its import job."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db.models.functions import Lower

from imports.formats import sniff
from imports.importers import importer_for
from imports.models import ImportFile
from imports.recipes import RecipeIn, RecipeWriter
from imports.records import FileError, RecipeDraft, RecordError
from jobs.models import Job
from jobs.services import job_create
from kitchen.models import Chef, Ingredient

IMPORT_KIND = "imports.recipes"
PREVIEW_RECORDS = 5
EXTENSIONS = {"csv": ".csv", "json": ".json", "jsonld": ".jsonld", "html": ".html"}


def size_text(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{size / 1024:.0f} KB"


def import_file_store(*, owner: User, upload: File, name: str) -> ImportFile:
    """Keep an uploaded file for import (refused above IMPORT_MAX_BYTES or when empty)."""
    size = upload.size or 0
    if size > settings.IMPORT_MAX_BYTES:
        limit = size_text(settings.IMPORT_MAX_BYTES)
        raise ValidationError({"file": f"The file is {size_text(size)}; files up to {limit} can be imported."})
    if size == 0:
        raise ValidationError({"file": "The file is empty."})
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = sniff(head, name=name)
    return _store(owner=owner, content=upload, name=name[:255] or "upload", size=size, kind=kind)


def import_page_store(*, owner: User, url: str) -> ImportFile:
    """Fetch a recipe page (or its JSON) and keep it for import; refused for internal addresses."""
    from imports.web import FetchError, fetch_page

    try:
        page = fetch_page(url)
    except FetchError as error:
        raise ValidationError({"url": error.message}) from None
    kind = "jsonld" if "json" in page.content_type else "html"
    return _store(owner=owner, content=ContentFile(page.body), name=url[:255], size=len(page.body), kind=kind,
                  source_url=page.url[:2000])  # fmt: skip


def _store(
    *, owner: User, content: IO[bytes] | File, name: str, size: int, kind: str, source_url: str = ""
) -> ImportFile:
    record = ImportFile(owner=owner, name=name, size=size, format=kind, source_url=source_url)
    record.file.save(f"{uuid.uuid4().hex}{EXTENSIONS[kind]}", content if isinstance(content, File) else File(content),
                     save=False)  # fmt: skip
    record.save()
    return record


@contextlib.contextmanager
def import_file_open(import_file: ImportFile) -> Iterator[IO[bytes]]:
    with default_storage.open(import_file.file.name, "rb") as stream:
        yield stream


@dataclass
class PreviewRecord:
    key: str
    draft: RecipeDraft | None
    error: RecordError | None


@dataclass
class Preview:
    total: int | None = None
    records: list[PreviewRecord] = field(default_factory=list)
    new_ingredients: list[str] = field(default_factory=list)
    error: str = ""


def import_preview(*, import_file: ImportFile, limit: int = PREVIEW_RECORDS) -> Preview:
    """The first records as they would be imported (or why not), and the ingredients they would add."""
    importer = importer_for(format=import_file.format, url=import_file.source_url or import_file.name)
    writer = RecipeWriter(owner=Chef(user=import_file.owner), job_id=0)
    preview = Preview()
    checked: list[RecipeIn] = []
    try:
        with import_file_open(import_file) as stream:
            preview.total = importer.count(stream)
        with import_file_open(import_file) as stream:
            for key, record in importer.records(stream):
                if len(preview.records) >= limit:
                    break
                try:
                    if isinstance(record, RecordError):
                        raise record
                    checked.append(writer.check(record))
                    preview.records.append(PreviewRecord(key, record, None))
                except RecordError as error:
                    preview.records.append(
                        PreviewRecord(key, record if isinstance(record, RecipeDraft) else None, error)
                    )
    except FileError as error:
        preview.error = str(error)
        return preview
    names = {line.ingredient.lower(): line.ingredient for recipe in checked for line in recipe.lines}
    known = set(
        Ingredient.objects.annotate(lower=Lower("name")).filter(lower__in=list(names)).values_list("lower", flat=True)
    )
    preview.new_ingredients = sorted(name for lower, name in names.items() if lower not in known)
    return preview


def import_start(*, owner: User, import_file: ImportFile) -> Job:
    """Start the import job of a kept file (its owner only)."""
    if import_file.owner_id != owner.pk:
        raise PermissionDenied("only who gave the file may import it")
    return job_create(owner=owner, kind=IMPORT_KIND, params={"file_id": import_file.pk})


def import_result_links(job: Job, *, limit: int = 20) -> list[dict[str, Any]]:
    """The first recipes a job imported, for links on its page."""
    from kitchen.models import Recipe

    rows = Recipe.objects.filter(import_key__startswith=f"{job.pk}:").order_by("pk").values("pk", "name")[:limit]
    return [dict(row) for row in rows]
