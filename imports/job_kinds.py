"""The import job: any format, through the one pipeline, resumable from its committed cursor."""

from __future__ import annotations

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field

from imports.importers import importer_for
from imports.models import ImportFile
from imports.pipeline import run_pipeline
from imports.recipes import RecipeWriter
from imports.records import FileError
from imports.services import IMPORT_KIND, import_file_open
from jobs.kinds import JobFailed, job_kind, params_model
from jobs.models import Job
from jobs.progress import Progress
from kitchen.models import Chef, Recipe


class ImportParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_id: int = Field(ge=1, lt=2**63)


@job_kind(IMPORT_KIND, label="Recipe import", clean_params=params_model(ImportParams))
def import_recipes(job: Job, progress: Progress) -> dict:
    """Idempotent: it carries on from the job's cursor, and each record's key is written once."""
    params = ImportParams.model_validate(job.params)
    import_file = ImportFile.objects.filter(pk=params.file_id, owner_id=job.owner_id).first()
    if import_file is None:
        raise JobFailed("the file to import is gone")
    chef, _ = Chef.objects.get_or_create(user_id=job.owner_id)
    try:
        outcome = run_pipeline(
            open_file=lambda: import_file_open(import_file),
            importer=importer_for(format=import_file.format, url=import_file.source_url or import_file.name),
            writer=RecipeWriter(owner=chef, job_id=job.pk),
            progress=progress,
            batch_size=settings.IMPORT_BATCH_SIZE,
        )
    except FileError as error:
        raise JobFailed(f"{import_file.name[:100]}: {error}") from None
    except OSError as error:  # the file is not readable where this worker runs (storage not shared?)
        raise JobFailed(f"cannot read {import_file.name[:100]} on this worker: {error}") from None
    imported = Recipe.objects.filter(import_key__startswith=f"{job.pk}:").count()
    return {"records": outcome.records, "imported": imported, "failed": progress.error_count}
