"""A file someone gave Brigade to import (uploaded, or a recipe page fetched for them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class ImportFile(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"
        JSONLD = "jsonld", "schema.org JSON-LD"
        HTML = "html", "Recipe page (HTML)"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_files")
    # In the media folder: every worker must read it (on several machines, shared storage).
    file = models.FileField(upload_to="imports/%Y/%m/")
    name = models.CharField(max_length=255, help_text="the file's name as uploaded, or the page's URL")
    size = models.PositiveBigIntegerField()
    format = models.CharField(max_length=10, choices=Format.choices)
    source_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=["csv", "json", "jsonld", "html"]), name="import_format_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.format})"
