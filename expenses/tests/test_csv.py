"""Expenses as CSV: the streamed export, the import on the recipe import's pipeline (run in process,
as a worker runs it), and the upload page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient

from expenses import csv_io, services
from expenses.job_kinds import EXPENSES_IMPORT_KIND, expenses_import_start
from expenses.models import Expense, ExpenseCategory, ExpenseImportMail
from expenses.tests.conftest import add
from imports.formats import FORMULA_STARTS
from imports.models import ImportFile
from imports.services import import_file_store
from jobs.models import Job
from jobs.services import job_create, job_retry
from jobs.tasks import run_job

# Real commits (the job's run reads what its start committed); tasks land on the run's queue.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("queue")]

HEADER = "date,amount,currency,category,description"


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def export(user, query: str = "") -> tuple[int, list[bytes]]:
    """GET the export as a signed-in browser would, through Django's async handler: status and chunks."""

    async def fetch() -> tuple[int, list[bytes]]:
        client = AsyncClient()
        if user is not None:
            await client.aforce_login(user)
        response = await client.get(f"/expenses/export.csv{query}")
        if not response.streaming:
            return response.status_code, [response.content]
        return response.status_code, [chunk async for chunk in response.streaming_content]

    return async_to_sync(fetch)()


def exported(user, query: str = "") -> bytes:
    status, chunks = export(user, query)
    assert status == 200
    return b"".join(chunks)


def run_import(user, content: bytes, name: str = "expenses.csv") -> Job:
    job = expenses_import_start(owner=user, upload=ContentFile(content, name=name), name=name)
    run_job(job.pk)
    return Job.objects.get(pk=job.pk)


def shape(user) -> list[tuple[str, str, str | None, str]]:
    return sorted(
        (e.date.isoformat(), format(e.amount, "f"), e.category.name if e.category else None, e.description)
        for e in Expense.objects.filter(owner=user).select_related("category")
    )


class TestExport:
    def test_an_export_imports_back_as_it_was(self, user, today, mailoutbox):
        # Given expenses with commas, quotes, line breaks, formulas, accents and no category
        veg = services.category_create(user_id=user.pk, name="Vegetables", monthly_limit="500")
        cash = services.category_create(user_id=user.pk, name="=Cash", monthly_limit=None)
        add(user, "12.50", category=veg, description='Leeks, "fresh"\nand carrots')
        add(user, "0.01", day=today - timedelta(days=40), description='=HYPERLINK("http://evil")')
        add(user, "1000000", category=cash, description="-3 for the deposit")
        add(user, "7.2", day=today - timedelta(days=1), description="Crème brûlée 🍮, @home")
        before = shape(user)
        content = exported(user)
        # When they are deleted and the file is imported back
        Expense.objects.filter(owner=user).delete()
        job = run_import(user, content)
        # Then the same expenses are there, in the same (not duplicated) categories
        assert (job.state, job.result) == ("done", {"records": 4, "imported": 4, "failed": 0})
        assert shape(user) == before
        names = sorted(ExpenseCategory.objects.filter(owner=user).values_list("name", flat=True))
        assert names == ["=Cash", "Vegetables"]
        assert [message.subject for message in mailoutbox if "imported" in message.subject] == ["4 expenses imported"]

    def test_the_columns_are_documented_and_amounts_are_exact_decimal_strings(self, user, today, settings):
        add(user, "1000000.00", day=today, description="Oven")
        add(user, "0.1", day=today, description="Salt")
        rows = list(csv.reader(io.StringIO(exported(user).decode())))
        assert rows[0] == ["date", "amount", "currency", "category", "description"]
        assert sorted(rows[1:]) == [[today.isoformat(), "0.10", settings.PRICE_CURRENCY, "", "Salt"],
                                    [today.isoformat(), "1000000.00", settings.PRICE_CURRENCY, "", "Oven"]]  # fmt: skip

    def test_formula_cells_are_guarded_with_an_apostrophe(self, user):
        risky = ["=1+1", "+33 6 12", "-2 refund", "@SUM(A1:A9)", '=HYPERLINK("http://evil")']
        services.category_create(user_id=user.pk, name="@Cash", monthly_limit=None)
        category = ExpenseCategory.objects.get(owner=user)
        for text in risky:
            add(user, "1", description=text, category=category)
        rows = list(csv.reader(io.StringIO(exported(user).decode())))[1:]
        cells = [cell for row in rows for cell in row]
        assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
        assert sorted(row[4] for row in rows) == sorted(f"'{text}" for text in risky)
        assert {row[3] for row in rows} == {"'@Cash"}

    def test_another_users_expenses_are_never_exported(self, user, other_user, today):
        add(user, "3", description="Mine")
        add(other_user, "4", description="Ben's secret")
        for query in ("", f"?month={today:%Y-%m}"):
            content = exported(user, query).decode()
            assert "Mine" in content
            assert "Ben's secret" not in content

    def test_a_month_exports_that_month_only_oldest_first(self, user, today):
        last_month = today.replace(day=1) - timedelta(days=1)
        add(user, "1", day=last_month, description="Last month")
        add(user, "2", day=today, description="Later")
        add(user, "3", day=today.replace(day=1), description="Earlier")
        rows = list(csv.reader(io.StringIO(exported(user, f"?month={today:%Y-%m}").decode())))[1:]
        assert [row[4] for row in rows] == ["Earlier", "Later"]
        assert len(list(csv.reader(io.StringIO(exported(user).decode())))) == 4

    def test_rows_are_streamed_a_chunk_per_query_not_read_whole(self, user, today, monkeypatch):
        monkeypatch.setattr(csv_io, "EXPORT_CHUNK", 2)
        Expense.objects.bulk_create(Expense(owner=user, amount=n, date=today, description=f"#{n}") for n in range(1, 6))
        status, chunks = export(user)
        assert status == 200
        assert len(chunks) == 4  # the header, then 2 + 2 + 1 rows
        assert sorted(row[4] for row in csv.reader(io.StringIO(b"".join(chunks).decode())) if row[0] != "date") == [
            f"#{n}" for n in range(1, 6)
        ]

    def test_signed_out_is_sent_to_log_in_and_a_bad_month_is_refused(self, user):
        status, _ = export(None)
        assert status == 302
        status, body = export(user, "?month=2024-13")
        assert status == 400
        assert b"YYYY-MM" in b"".join(body)


class TestImport:
    def test_bad_rows_are_reported_with_their_field_and_not_saved(self, user, today, settings):
        settings.IMPORT_BATCH_SIZE = 3  # several batches, bad rows among them
        day = today.isoformat()
        too_far = (today + timedelta(days=3)).isoformat()
        content = csv_of(
            f"{day},12.50,EUR,Produce,Leeks",  # row 2: good
            f"{day},-5,,,negative",  # 3
            f"{day},1e400,,,huge",  # 4
            f"{day},NaN,,,not a number",  # 5
            f"{day},12.345,,,three places",  # 6
            f"{day},,,,no amount",  # 7
            f"{too_far},3,,,future",  # 8
            "2024-02-30,3,,,no such day",  # 9
            f"{day},3,USD,,dollars",  # 10
            f"{day},3,,\u202eevil,bidi category",  # 11
            f"{day},3,,,{'x' * 501}",  # 12: over the description's 500
            f"{day},3,,,{'y' * 1001}",  # 13: over the cell limit
            f"{day},3,,,a,spare cell",  # 14
            f"{day},0,,,zero",  # 15
            "",  # a blank line: skipped
            f"{day},7,,produce,Shallots",  # 17: good, the category found whatever its case
        )
        job = run_import(user, content)
        assert job.state == "done"
        assert job.result == {"records": 15, "imported": 2, "failed": 13}
        report = {(entry["item"], entry["field"]) for entry in job.errors}
        assert report == {("row 3", "amount"), ("row 4", "amount"), ("row 5", "amount"), ("row 6", "amount"),
                          ("row 7", "amount"), ("row 8", "date"), ("row 9", "date"), ("row 10", "currency"),
                          ("row 11", "category"), ("row 12", "description"), ("row 13", "description"),
                          ("row 14", ""), ("row 15", "amount")}  # fmt: skip
        assert all(entry["message"] for entry in job.errors)
        assert shape(user) == [(day, "12.50", "Produce", "Leeks"), (day, "7.00", "Produce", "Shallots")]

    def test_every_wrong_field_of_a_row_is_named(self, user):
        job = run_import(user, csv_of("someday,abc,,,"))
        [entry] = job.errors
        assert entry["field"] == "amount"
        assert "also date:" in entry["message"]

    def test_running_the_import_twice_writes_each_row_once_and_mails_one_summary(self, user, today, mailoutbox):
        content = csv_of(*(f"{today.isoformat()},{n},,Wine,Bottle {n}" for n in range(1, 6)), f"{today},x,,,bad")
        job = run_import(user, content)
        assert job.result == {"records": 6, "imported": 5, "failed": 1}
        # When it runs again from the start (a retry after a failure at the very end)
        Job.objects.filter(pk=job.pk).update(state="failed")
        job_retry(job=Job.objects.get(pk=job.pk), by=user)
        run_job(job.pk)
        # Then nothing is written twice, and one summary e-mail went out
        again = Job.objects.get(pk=job.pk)
        assert (again.state, again.result["imported"]) == ("done", 5)
        assert Expense.objects.filter(owner=user).count() == 5
        assert ExpenseCategory.objects.filter(owner=user).count() == 1
        assert ExpenseImportMail.objects.filter(job_id=job.pk).count() == 1
        [message] = mailoutbox
        assert (message.to, message.subject) == ([user.email], "5 expenses imported")
        assert "1 row could not be imported" in message.body

    def test_an_import_sends_no_mail_per_expense_and_marks_them_mailed(self, user, today, queue):
        run_import(user, csv_of(f"{today},1,,,a", f"{today},2,,,b"))
        assert Expense.objects.filter(owner=user, mailed_at__isnull=True).count() == 0
        assert not [t for t in queue.tasks() if t["task"].endswith("send_expense_email_notification")]

    def test_a_new_category_is_created_once_whatever_its_case(self, user, today):
        services.category_create(user_id=user.pk, name="Produce", monthly_limit=None)
        run_import(user, csv_of(f"{today},1,,WINE,a", f"{today},2,,wine,b", f"{today},3,,PRODUCE,c"))
        names = sorted(ExpenseCategory.objects.filter(owner=user).values_list("name", flat=True))
        assert [name.casefold() for name in names] == ["produce", "wine"]
        assert names[0] == "Produce"
        assert shape(user)[2][2] == "Produce"

    def test_a_file_naming_more_categories_than_allowed_reports_the_extra_rows(self, user, today, monkeypatch):
        monkeypatch.setattr(csv_io, "CATEGORIES_MAX", 2)
        job = run_import(user, csv_of(*(f"{today},1,,Cat {n},x" for n in range(3))))
        assert job.result == {"records": 3, "imported": 2, "failed": 1}
        assert [(e["item"], e["field"]) for e in job.errors] == [("row 4", "category")]

    def test_only_date_and_amount_are_required_and_other_columns_are_ignored(self, user, today):
        job = run_import(user, csv_of(f"x,{today},4.20,y", header="Note,Date,AMOUNT,Whatever"))
        assert job.result == {"records": 1, "imported": 1, "failed": 0}
        assert shape(user) == [(today.isoformat(), "4.20", None, "")]

    @pytest.mark.parametrize(
        "content, message",
        [
            (b"date,amount\n" + b"2024-01-01,1\n" * 1000 + b"2024-01-01,\xe9\n", "not UTF-8"),
            (b'date,amount,description\n2024-01-01,1,"never closed\n', "cannot be read"),
            (b"", "empty"),
        ],
    )
    def test_a_file_that_cannot_be_read_fails_the_job_clearly_and_imports_nothing(self, user, content, message):
        # Stored as the upload check would not (it reads only the start of a file)
        import_file = ImportFile(owner=user, name="x.csv", size=len(content), format="csv")
        import_file.file.save("x.csv", ContentFile(content))
        job = job_create(owner=user, kind=EXPENSES_IMPORT_KIND, params={"file_id": import_file.pk})
        run_job(job.pk)
        failed = Job.objects.get(pk=job.pk)
        assert failed.state == "failed"
        assert message in failed.error
        assert not Expense.objects.exists()

    def test_a_file_that_is_not_csv_is_refused_by_the_job(self, user):
        stored = import_file_store(owner=user, upload=ContentFile(b'[{"amount": "1"}]'), name="x.json")
        job = job_create(owner=user, kind=EXPENSES_IMPORT_KIND, params={"file_id": stored.pk})
        run_job(job.pk)
        failed = Job.objects.get(pk=job.pk)
        assert failed.state == "failed"
        assert "CSV files only" in failed.error

    def test_another_users_file_is_gone_for_the_job(self, user, other_user):
        stored = import_file_store(owner=other_user, upload=ContentFile(csv_of()), name="x.csv")
        job = job_create(owner=user, kind=EXPENSES_IMPORT_KIND, params={"file_id": stored.pk})
        run_job(job.pk)
        assert Job.objects.get(pk=job.pk).error == "the file to import is gone"


def upload(content: bytes, name: str = "expenses.csv", content_type: str = "text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


class TestUploadPage:
    def test_the_page_shows_a_form_with_csrf(self, user, as_user):
        page = as_user(user).get("/expenses/import/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'enctype="multipart/form-data"' in html
        assert "csrfmiddlewaretoken" in html
        assert HEADER in html

    def test_signed_out_is_sent_to_log_in(self, client):
        assert client.get("/expenses/import/").status_code == 302
        assert client.post("/expenses/import/", {"file": upload(csv_of())}).status_code == 302
        assert not Job.objects.exists()

    def test_an_upload_starts_the_import_and_leads_to_the_jobs_page(self, user, as_user, today):
        response = as_user(user).post("/expenses/import/", {"file": upload(csv_of(f"{today},1,,,a"))})
        assert response.status_code == 302
        assert response["Location"] == "/tasks/"
        job = Job.objects.get()
        stored = ImportFile.objects.get()
        assert (job.kind, job.params, job.owner, stored.format) == ("expenses.import", {"file_id": stored.pk}, user,
                                                                    "csv")  # fmt: skip

    def test_a_post_without_the_csrf_token_is_refused(self, user, as_user, today):
        response = as_user(user, csrf=True).post("/expenses/import/", {"file": upload(csv_of(f"{today},1,,,a"))})
        assert response.status_code == 403
        assert not Job.objects.exists()

    @pytest.mark.parametrize(
        "file, message",
        [
            (upload(b""), "The submitted file is empty."),
            (upload(b'[{"date": "2024-01-01"}]', "x.json", "application/json"), "CSV files only"),
            (upload(b"<html><body>hi</body></html>", "x.html", "text/html"), "CSV files only"),
            (upload(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "x.csv"), "not UTF-8"),
            (upload(b"recipe_ref,kind,name\nr1,recipe,Soup\n"), "no column &#x27;date&#x27;, &#x27;amount&#x27;"),
            (upload(b"date,price\n2024-01-01,3\n"), "no column &#x27;amount&#x27;"),
        ],
    )
    def test_a_bad_upload_is_shown_again_with_why_and_status_400(self, user, as_user, file, message):
        response = as_user(user).post("/expenses/import/", {"file": file})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not ImportFile.objects.exists()
        assert not Job.objects.exists()

    def test_a_file_over_the_limit_is_refused_with_the_limit(self, user, as_user, settings):
        settings.IMPORT_MAX_BYTES = settings.UPLOAD_MAX_BYTES = 1024
        response = as_user(user).post("/expenses/import/", {"file": upload(csv_of() + b"x" * 70_000)})
        assert response.status_code == 400
        assert "files up to 1 KB can be imported" in response.content.decode()
        assert not ImportFile.objects.exists()
