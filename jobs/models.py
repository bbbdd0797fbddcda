"""The one store of background work a person started: what, whose, how far, and how it ended."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The per-item error report keeps the first this many entries (error_count counts them all).
ERRORS_KEPT = 1000


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    ACTIVE = (State.QUEUED, State.RUNNING)
    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    # A name from jobs.kinds' registry (checked by job_create, not a DB choice: apps add kinds).
    kind = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True, help_text="unknown until the handler knows it")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="why the job failed or was cancelled")
    errors = models.JSONField(default=list, blank=True, help_text="per-item report: {item, field, message}")
    error_count = models.PositiveIntegerField(default=0)
    celery_task_id = models.CharField(max_length=255, blank=True)
    # Incremented by every start: the fencing token of one run (writes of an older run are refused).
    attempts = models.PositiveIntegerField(default=0)
    # A run that would pass this attempt number fails the job instead (one that keeps killing its
    # worker or hitting its time limit stops); retrying allows as many runs again.
    max_attempts = models.PositiveIntegerField(default=3)
    # Runs that ended in a transient failure and were queued again after a backoff (JobRetryLater).
    retries = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["state", "heartbeat_at"]),  # finding runs whose worker is gone
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "done", "failed", "cancelled"]), name="job_state_valid"
            ),
            models.CheckConstraint(condition=~Q(kind=""), name="job_kind_not_empty"),
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(done__lte=models.F("total")), name="job_done_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE
