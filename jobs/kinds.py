"""The registry of job kinds: each app registers what its jobs do, in its own job_kinds.py.

A kind names a handler `handler(job, progress) -> result`, run by jobs.tasks.run_job on a worker.
Handlers must be idempotent: a job whose worker died is run again (from its last progress),
and a task delivered twice must not do the work twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

if TYPE_CHECKING:
    from jobs.models import Job
    from jobs.progress import Progress

Handler = Callable[["Job", "Progress"], Any]
CleanParams = Callable[[dict], dict]

# Soft and hard time limits for a kind that names none; both stay below the broker's limits.
DEFAULT_SOFT_TIME_LIMIT = 20 * 60
DEFAULT_TIME_LIMIT = 25 * 60
# RabbitMQ's default consumer_timeout: a delivery unacknowledged this long closes the channel.
RABBITMQ_CONSUMER_TIMEOUT = 30 * 60


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    handler: Handler
    clean_params: CleanParams
    soft_time_limit: int
    time_limit: int


_kinds: dict[str, JobKind] = {}


def _no_params(params: dict) -> dict:
    if params:
        raise ValidationError("this kind of job takes no parameters")
    return {}


def job_kind(
    name: str,
    *,
    label: str,
    clean_params: CleanParams = _no_params,
    soft_time_limit: int = DEFAULT_SOFT_TIME_LIMIT,
    time_limit: int = DEFAULT_TIME_LIMIT,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `name` jobs."""
    if not name or len(name) > 64:
        raise ImproperlyConfigured(f"job kind name {name!r} must be 1-64 characters")
    if not 0 < soft_time_limit < time_limit < RABBITMQ_CONSUMER_TIMEOUT:
        raise ImproperlyConfigured(
            f"job kind {name!r}: need 0 < soft_time_limit < time_limit < {RABBITMQ_CONSUMER_TIMEOUT} s (RabbitMQ's "
            "consumer timeout), or a running job is delivered to a second worker"
        )

    def register(handler: Handler) -> Handler:
        existing = _kinds.get(name)
        if existing is not None and existing.handler is not handler:
            raise ImproperlyConfigured(f"job kind {name!r} is registered twice")
        _kinds[name] = JobKind(name, label, handler, clean_params, soft_time_limit, time_limit)
        return handler

    return register


class JobRetryLater(Exception):
    """Raised by a handler for a transient failure (SMTP down, a network blip): the job is queued
    again after an exponential backoff with jitter, up to TRANSIENT_RETRIES times, then fails."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JobFailed(Exception):
    """Raised by a handler to end the job failed with this message as people should read it."""


class UnknownJobKind(ValidationError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown kind of job {name[:64]!r}", code="unknown_kind")


def kinds_over_visibility_timeout() -> list[JobKind]:
    """Kinds whose hard time limit reaches the Redis broker's visibility timeout (checked by
    `manage.py check`, jobs/checks.py): a run that long would be delivered to a second worker."""
    return [kind for kind in _kinds.values() if kind.time_limit >= settings.CELERY_VISIBILITY_TIMEOUT]


def kind_get(name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownJobKind(name) from None


def kind_label(name: str) -> str:
    kind = _kinds.get(name)
    return kind.label if kind is not None else name


def params_model(model: type[BaseModel]) -> CleanParams:
    """A clean_params that validates with a pydantic model (extra keys refused) and returns plain JSON."""

    def clean(params: dict) -> dict:
        try:
            return model.model_validate(params).model_dump(mode="json")
        except PydanticValidationError as error:
            raise ValidationError(
                "; ".join(f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in error.errors()[:10])
            ) from None

    return clean
