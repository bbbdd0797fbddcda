"""The demo kind: counts to N, a step at a time, to show (and test) progress, cancel, retry and resume."""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

from jobs.kinds import job_kind, params_model
from jobs.models import Job
from jobs.progress import Progress


class CountParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(20, ge=1, le=10_000)
    step_seconds: float = Field(0.5, ge=0, le=5, allow_inf_nan=False)
    # For demonstrations and tests: fail halfway through this attempt; report every n-th item as bad.
    fail_on_attempt: int | None = Field(None, ge=1, le=100)
    error_every: int | None = Field(None, ge=1, le=10_000)


class DemoFailure(Exception):
    pass


@job_kind("demo.count", label="Demo: count", clean_params=params_model(CountParams), soft_time_limit=600,
          time_limit=660)  # fmt: skip
def count(job: Job, progress: Progress) -> dict:
    """Idempotent: it only counts, and a resumed run carries on from the last recorded step."""
    params = CountParams.model_validate(job.params)
    progress(job.done, params.count)
    for n in range(job.done + 1, params.count + 1):
        time.sleep(params.step_seconds)  # the slow work this kind stands for
        if params.fail_on_attempt == job.attempts and n > params.count // 2:
            raise DemoFailure(f"failed on purpose at {n} (attempt {job.attempts})")
        if params.error_every and n % params.error_every == 0:
            progress.error(item=n, field="n", message=f"{n} is a multiple of {params.error_every}")
        progress(n)
    return {"counted": params.count}
