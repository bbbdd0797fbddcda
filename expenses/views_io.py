"""CSV export and import of expenses (built in expenses/csv_io.py on the recipe import's pipeline)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def export_csv(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def import_upload(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
