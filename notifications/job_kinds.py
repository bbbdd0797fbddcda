"""The recipe request's job: e-mail the chef asked (theirs, so it shows on their jobs page)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.mail import MailTemporaryError
from jobs.kinds import JobRetryLater, job_kind, params_model
from jobs.models import Job
from jobs.progress import Progress
from notifications import services


class RequestMailParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: int = Field(ge=1, lt=2**63)


@job_kind(services.REQUEST_MAIL_KIND, label="Recipe request", clean_params=params_model(RequestMailParams),
          soft_time_limit=120, time_limit=150)  # fmt: skip
def request_mail(job: Job, progress: Progress) -> dict:
    """Idempotent: a request already e-mailed is not e-mailed again (its `mailed_at`)."""
    params = RequestMailParams.model_validate(job.params)
    progress(0, 1)
    try:
        result = services.recipe_request_mail(request_id=params.request_id)
    except MailTemporaryError as error:
        raise JobRetryLater(str(error)) from error
    progress(1, 1)
    return result
