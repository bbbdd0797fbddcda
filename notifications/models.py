"""What chefs send each other and what Brigade e-mails them: recipe requests, completion notices, daily reports."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from kitchen.models import Chef, Recipe, RecipeCompletion


class RecipeRequest(models.Model):
    """A chef asks another to write up a recipe; accepting it creates a draft they share."""

    class State(models.TextChoices):
        OPEN = "open"
        ACCEPTED = "accepted"
        DECLINED = "declined"

    requester = models.ForeignKey(Chef, on_delete=models.CASCADE, related_name="requests_sent")
    chef = models.ForeignKey(Chef, on_delete=models.CASCADE, related_name="requests_received")
    name = models.CharField(max_length=200)
    note = models.TextField(blank=True, max_length=2000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    draft = models.ForeignKey(Recipe, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The job that e-mails the chef asked (theirs: it shows on their jobs page).
    job = models.ForeignKey("jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    mailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(requester=F("chef")), name="recipe_request_not_to_self"),
            models.CheckConstraint(
                condition=Q(state__in=["open", "accepted", "declined"]), name="recipe_request_state"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="recipe_request_name_not_empty"),
            # Asking the same chef for the same recipe again while the first request is open is a no.
            models.UniqueConstraint(
                "requester", "chef", Lower("name"), condition=Q(state="open"), name="recipe_request_open_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.requester} asks {self.chef})"


class SentMail(models.Model):
    """A completion notice the mail server accepted for a chef: a rerun of the task skips them."""

    completion = models.ForeignKey(RecipeCompletion, on_delete=models.CASCADE, related_name="sent_mail")
    chef = models.ForeignKey(Chef, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["completion", "chef"], name="sent_mail_once")]

    def __str__(self) -> str:
        return f"completion {self.completion_id} to chef {self.chef_id}"


class DailyReport(models.Model):
    """One chef's report of one day: sent once, however many beats or deliveries ask for it."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        SKIPPED = "skipped"  # no e-mail address
        FAILED = "failed"

    chef = models.ForeignKey(Chef, on_delete=models.CASCADE, related_name="daily_reports")
    day = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    tries = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "chef"]
        constraints = [
            models.UniqueConstraint(fields=["chef", "day"], name="daily_report_once"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sent", "skipped", "failed"]), name="daily_report_state"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} report for chef {self.chef_id}: {self.state}"
