"""/api/imports: start a recipe import from a file (multipart) or a recipe page's address (JSON)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from ninja import Router
from ninja.errors import HttpError

from core.api import decoded_body, responses
from core.types import ApiRequest
from core.uploads import upload_refused
from imports import services
from jobs.api import JobOut
from jobs.selectors import job_as_event

router = Router(tags=["imports"])

_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["file"],
                       "properties": {"file": {"type": "string", "format": "binary",
                                               "description": "CSV, JSON or schema.org JSON-LD"}}},
        },
        "application/json": {
            "schema": {"type": "object", "required": ["url"], "additionalProperties": False,
                       "properties": {"url": {"type": "string", "format": "uri", "maxLength": 2000,
                                              "description": "a recipe page (http or https, public addresses only)"}}},
        },
    },
}  # fmt: skip


def _problem(detail: str) -> HttpError:
    return HttpError(422, detail)


def _messages(error: ValidationError) -> str:
    return "; ".join(error.messages)


def _start(request: ApiRequest) -> dict[str, Any]:
    user = request.auth
    if request.content_type == "multipart/form-data":
        refused = upload_refused(request)
        if refused:
            raise _problem(f"{refused}: files up to {services.size_text(settings.IMPORT_MAX_BYTES)} can be imported")
        upload = request.FILES.get("file")
        if upload is None:
            raise _problem("send the file in a multipart field named 'file'")
        try:
            stored = services.import_file_store(owner=user, upload=upload, name=upload.name or "")
        except ValidationError as error:
            raise _problem(_messages(error)) from None
    else:
        try:
            body = decoded_body(request)
        except (ValueError, RecursionError):
            raise HttpError(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict) or set(body) != {"url"} or not isinstance(body["url"], str):
            raise _problem('send {"url": "https://…"} as JSON, or a file as multipart/form-data')
        url = body["url"].strip()
        try:
            if len(url) > 2000:
                raise ValidationError("the address is longer than 2,000 characters")
            URLValidator(schemes=["http", "https"])(url)
            stored = services.import_page_store(owner=user, url=url)
        except ValidationError as error:
            raise _problem(_messages(error)) from None
    return job_as_event(services.import_start(owner=user, import_file=stored))


@router.post(
    "/imports",
    response=responses({202: JobOut}),
    summary="Import recipes from a file (multipart, field 'file') or a recipe page ({\"url\": …})",
    description="Answers 202 with the import's job; GET /api/jobs/{id} reports its progress and error report.",
    openapi_extra={"requestBody": _BODY},
)
async def create_import(request: ApiRequest):
    return 202, await sync_to_async(_start)(request)
