"""The expense import job: a CSV the user uploaded, through the recipe import's pipeline, then one
summary e-mail (not one per expense). Resumable from its committed cursor, like the recipe import."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import File
from pydantic import BaseModel, ConfigDict, Field

from core.mail import MailPermanentError, MailTemporaryError
from expenses.csv_io import ExpenseCsvImporter, ExpenseWriter, csv_upload_problem
from expenses.mail import import_summary_mail
from expenses.models import Expense
from imports.models import ImportFile
from imports.pipeline import run_pipeline
from imports.records import FileError
from imports.services import import_file_open, import_file_store
from jobs.kinds import JobFailed, JobRetryLater, job_kind, params_model
from jobs.models import Job
from jobs.progress import Progress
from jobs.services import job_create

logger = logging.getLogger(__name__)

EXPENSES_IMPORT_KIND = "expenses.import"
HEAD_BYTES = 8192


class ExpenseImportParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_id: int = Field(ge=1, lt=2**63)


def expenses_import_start(*, owner: User, upload: File, name: str) -> Job:
    """Keep an uploaded expenses CSV and start its import job; ValidationError({"file": ...}) for a
    file that is empty, too big or not an expenses CSV (nothing is kept then)."""
    if upload.size:
        upload.seek(0)
        head = upload.read(HEAD_BYTES)
        upload.seek(0)
        problem = csv_upload_problem(head, name=name)
        if problem:
            raise ValidationError({"file": problem})
    stored = import_file_store(owner=owner, upload=upload, name=name)
    if stored.format != ImportFile.Format.CSV:  # sniffed as above; kept in step with it by this check
        stored.file.delete(save=False)
        stored.delete()
        raise ValidationError({"file": "Expenses are imported from CSV files only."})
    return job_create(owner=owner, kind=EXPENSES_IMPORT_KIND, params={"file_id": stored.pk})


@job_kind(EXPENSES_IMPORT_KIND, label="Expense import", clean_params=params_model(ExpenseImportParams))
def import_expenses(job: Job, progress: Progress) -> dict[str, object]:
    """Idempotent: it carries on from the job's cursor, each row's key is written once, and the
    summary e-mail is recorded once sent (ExpenseImportMail)."""
    params = ExpenseImportParams.model_validate(job.params)
    import_file = ImportFile.objects.filter(pk=params.file_id, owner_id=job.owner_id).first()
    if import_file is None:
        raise JobFailed("the file to import is gone")
    if import_file.format != ImportFile.Format.CSV:
        raise JobFailed(
            f"{import_file.name[:100]}: expenses are imported from CSV files only, not {import_file.format}"
        )
    try:
        outcome = run_pipeline(
            open_file=lambda: import_file_open(import_file),
            importer=ExpenseCsvImporter(),
            writer=ExpenseWriter(user_id=job.owner_id, job_id=job.pk),
            progress=progress,
            batch_size=settings.IMPORT_BATCH_SIZE,
        )
    except FileError as error:
        raise JobFailed(f"{import_file.name[:100]}: {error}") from None
    except ValidationError as error:  # a category refused at write time (e.g. one created meanwhile)
        raise JobFailed(f"{import_file.name[:100]}: {' '.join(error.messages)}") from None
    except OSError as error:  # the file is not readable where this worker runs (storage not shared?)
        raise JobFailed(f"cannot read {import_file.name[:100]} on this worker: {error}") from None
    # Counted, not taken from this run's outcome: a rerun (after SMTP was down) writes nothing new.
    imported = Expense.objects.filter(owner_id=job.owner_id, import_key__startswith=f"{job.pk}:").count()
    result: dict[str, object] = {"records": outcome.records, "imported": imported, "failed": progress.error_count}
    try:
        import_summary_mail(user_id=job.owner_id, job_id=job.pk, imported=imported, failed=progress.error_count)
    except MailTemporaryError as error:
        raise JobRetryLater(str(error)) from error
    except MailPermanentError as error:  # the expenses are in: the job is done, and says so
        logger.warning("import job %s: summary e-mail refused: %s", job.pk, error)
        result["summary_mail"] = f"refused: {str(error)[:200]}"
    return result
