"""The import page: upload a file or give a recipe page's address, preview, start, watch it run."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.streaming import in_thread
from core.types import AuthenticatedHttpRequest
from core.uploads import upload_refused
from imports import exports, selectors, services
from imports.formats import CSV_COLUMNS
from imports.forms import UploadForm, UrlForm
from imports.models import ImportFile
from jobs.selectors import job_as_detail


def _page(request: AuthenticatedHttpRequest, upload: UploadForm, url: UrlForm, *, status: int = 200) -> HttpResponse:
    context = {
        "upload_form": upload,
        "url_form": url,
        "files": selectors.import_files_of(user=request.user)[:10],
        "max_size": services.size_text(settings.IMPORT_MAX_BYTES),
        "csv_columns": ",".join(CSV_COLUMNS),
    }
    return render(request, "imports/imports.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def imports_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    upload, url = UploadForm(), UrlForm()
    if request.method == "POST":
        upload = UploadForm(request.POST, request.FILES)
        refused = upload_refused(request)
        if refused:
            limit = services.size_text(settings.IMPORT_MAX_BYTES)
            upload.add_error("file", f"{refused}: files up to {limit} can be imported.")
        elif upload.is_valid():
            file = upload.cleaned_data["file"]
            try:
                stored = services.import_file_store(owner=request.user, upload=file, name=file.name or "")
            except ValidationError as error:
                upload.add_error(None, error)
            else:
                return redirect("imports:preview", file_id=stored.pk)
        return _page(request, upload, url, status=400)
    return _page(request, upload, url)


@login_required
@require_POST
def import_url(request: AuthenticatedHttpRequest) -> HttpResponse:
    url = UrlForm(request.POST)
    if url.is_valid():
        try:
            stored = services.import_page_store(owner=request.user, url=url.cleaned_data["url"])
        except ValidationError as error:
            url.add_error(None, error)
        else:
            return redirect("imports:preview", file_id=stored.pk)
    return _page(request, UploadForm(), url, status=400)


def _mine(request: AuthenticatedHttpRequest, file_id: int) -> ImportFile:
    found = selectors.import_file_visible(user=request.user, file_id=file_id)
    if found is None:
        raise Http404("No such import")
    return found


@login_required
@require_http_methods(["GET"])
def import_preview(request: AuthenticatedHttpRequest, file_id: int) -> HttpResponse:
    import_file = _mine(request, file_id)
    job = selectors.import_job_of(import_file)
    context: dict = {"file": import_file, "job": job_as_detail(job) if job else None}
    if job is None:
        context["preview"] = services.import_preview(import_file=import_file)
    elif job.state == job.State.DONE:
        context["recipes"] = services.import_result_links(job)
    return render(request, "imports/preview.html", context)


@login_required
@require_POST
def import_start(request: AuthenticatedHttpRequest, file_id: int) -> HttpResponse:
    import_file = _mine(request, file_id)
    if selectors.import_job_of(import_file) is None:
        services.import_start(owner=request.user, import_file=import_file)
    return redirect("imports:preview", file_id=import_file.pk)


@login_required
@require_http_methods(["GET"])
def export_csv(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """Every recipe you may see, in the import's CSV format (it imports back as it was)."""
    rows = in_thread(exports.recipes_csv(user=request.user))  # streamed as it goes under ASGI (core/streaming.py)
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="brigade-recipes.csv"'
    return response
