"""CSV export and import of expenses (the format and the pipeline's parser and writer: expenses/csv_io.py)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.decorators import alogin_required
from core.types import AuthenticatedHttpRequest
from core.uploads import upload_refused
from expenses.csv_io import CSV_COLUMNS, expenses_csv
from expenses.inputs import month_parse
from expenses.job_kinds import expenses_import_start
from imports.services import size_text


class ExpenseCsvForm(forms.Form):
    file = forms.FileField(
        label="A CSV file of expenses",
        allow_empty_file=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


@alogin_required
@require_GET
async def export_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Your expenses (of ?month=YYYY-MM, else all) in the import's CSV format, streamed."""
    user_id: int = (await request.auser()).pk  # type: ignore[assignment]  # signed in: alogin_required
    month = None
    if request.GET.get("month"):
        try:
            month = month_parse(request.GET["month"])
        except ValidationError as error:
            return HttpResponseBadRequest(error.messages[0], content_type="text/plain; charset=utf-8")
    name = f"brigade-expenses-{month:%Y-%m}.csv" if month else "brigade-expenses.csv"
    # An async iterator: under ASGI, Django would read a sync one whole into memory before sending.
    response = StreamingHttpResponse(expenses_csv(user_id=user_id, month=month), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _page(request: HttpRequest, form: ExpenseCsvForm, *, status: int = 200) -> HttpResponse:
    context = {"form": form, "max_size": size_text(settings.IMPORT_MAX_BYTES), "csv_columns": ",".join(CSV_COLUMNS),
               "currency": settings.PRICE_CURRENCY}  # fmt: skip
    return render(request, "expenses/import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload an expenses CSV: kept, its import job started, and you watch it on the jobs page."""
    if request.method != "POST":
        return _page(request, ExpenseCsvForm())
    form = ExpenseCsvForm(request.POST, request.FILES)
    refused = upload_refused(request)
    if refused:
        form.add_error("file", f"{refused}: files up to {size_text(settings.IMPORT_MAX_BYTES)} can be imported.")
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            expenses_import_start(owner=request.user, upload=upload, name=upload.name or "")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("jobs:page")
    return _page(request, form, status=400)
