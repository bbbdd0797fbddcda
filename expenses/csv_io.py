"""Expenses as CSV, out and in: `date,amount,currency,category,description`, one expense a row.

Out: the user's own expenses (all, or one month), oldest first, streamed a chunk of rows per query.
In: a parser and a writer on the recipe import's pipeline (imports/pipeline.py). The header is
required and needs `date` and `amount`; `currency` may be left out (if given, it must be
PRICE_CURRENCY), `category` names one of the user's categories (found case-insensitively, or
created) and `description` is free text; other columns are ignored. Each row is checked by the
same rules as the form (expenses.inputs.expense_input): a bad row is reported with its field and
not written. Cells a spreadsheet would run as a formula are exported with an apostrophe in front,
which the import takes off again (imports.formats.csv_cell_out / csv_cell_in).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q

from expenses.inputs import ExpenseInput, category_name_clean, expense_input, month_end
from expenses.models import Expense, ExpenseCategory
from expenses.services import CATEGORIES_MAX, ImportedExpense, expenses_import_batch
from imports.formats import csv_cell_in, csv_cell_out, sniff
from imports.records import FileError, RecordError

CSV_COLUMNS = ("date", "amount", "currency", "category", "description")
CSV_REQUIRED = ("date", "amount")
# Longer cells are refused row by row (no valid value comes near: a description is at most 500
# characters); the csv module's own limit (imports.formats: 10,000) stops a runaway field in reading.
CELL_MAX = 1_000
COLUMNS_MAX = 50
EXPORT_CHUNK = 500


# -- Out -----------------------------------------------------------------------------------------


class _Line:
    """A file-like object whose write() hands back the row csv.writer just formatted."""

    def write(self, value: str) -> str:
        return value


def _export_row(expense_date: date, amount: Decimal, category: str | None, description: str) -> list[str]:
    cells = [expense_date.isoformat(), format(amount, "f"), settings.PRICE_CURRENCY, category or "", description]
    return [csv_cell_out(cell) for cell in cells]


async def expenses_csv(*, user_id: int, month: date | None = None) -> AsyncIterator[str]:
    """The user's expenses (of `month`, else all) as CSV text, a chunk of rows per query: keyset
    pages over (date, id), so memory stays flat and no cursor is held open between chunks."""
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    mine = Expense.objects.filter(owner_id=user_id)
    if month is not None:
        mine = mine.filter(date__gte=month, date__lt=month_end(month))
    after: tuple[date, int] | None = None
    while True:
        page = mine if after is None else mine.filter(Q(date__gt=after[0]) | Q(date=after[0], id__gt=after[1]))
        rows = [
            row
            async for row in page.order_by("date", "id").values_list(
                "date", "id", "amount", "category__name", "description"
            )[:EXPORT_CHUNK]
        ]
        if not rows:
            return
        yield "".join(writer.writerow(_export_row(day, amount, name, text)) for day, _, amount, name, text in rows)
        if len(rows) < EXPORT_CHUNK:
            return
        after = (rows[-1][0], rows[-1][1])


# -- In: the parser ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpenseRow:
    """One data row as read (strings, the formula guard taken off), not checked yet."""

    date: str
    amount: str
    currency: str
    category: str
    description: str


def _header(names: list[str]) -> dict[str, int]:
    """Each known column's position; FileError when the header is not an expenses header."""
    if len(names) > COLUMNS_MAX:
        raise FileError(f"the header has {len(names)} columns; an expenses CSV has {len(CSV_COLUMNS)}")
    folded = [name.strip().lower() for name in names]
    missing = [column for column in CSV_REQUIRED if column not in folded]
    if missing:
        raise FileError(
            f"this is not an expenses CSV: its header has no column {', '.join(map(repr, missing))} "
            f"(columns: {','.join(CSV_COLUMNS)}; date and amount are required)"
        )
    twice = sorted({name for name in folded if name in CSV_COLUMNS and folded.count(name) > 1})
    if twice:
        raise FileError(f"the header names the column {twice[0]!r} twice")
    return {name: folded.index(name) for name in CSV_COLUMNS if name in folded}


def _text(stream: BinaryIO) -> io.TextIOWrapper:
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")


class ExpenseCsvImporter:
    """Reads an expenses CSV; each data row is a record keyed by its row number ("row 2" is the
    first under the header, as a spreadsheet numbers them). Blank rows are skipped."""

    def count(self, stream: BinaryIO) -> int:
        return sum(1 for _ in self.records(stream))

    def records(self, stream: BinaryIO) -> Iterator[tuple[str, ExpenseRow | RecordError]]:
        try:
            reader = csv.reader(_text(stream), strict=True)
            header = next(reader, None)
            if header is None:
                raise FileError("the file is empty: it needs a header line such as " + ",".join(CSV_COLUMNS))
            columns = _header(header)
            for number, cells in enumerate(reader, start=2):
                if any(cell.strip() for cell in cells):
                    try:
                        yield f"row {number}", _row(cells, columns=columns, width=len(header))
                    except RecordError as error:
                        yield f"row {number}", error
        except UnicodeDecodeError as error:
            raise FileError(f"the file is not UTF-8 text (a bad byte at offset {error.start} of a block)") from None
        except csv.Error as error:
            raise FileError(f"the CSV cannot be read: {error}") from None


def _row(cells: list[str], *, columns: dict[str, int], width: int) -> ExpenseRow:
    if len(cells) > width:
        raise RecordError("", f"{len(cells)} cells, but the header has {width} columns")
    values: dict[str, str] = {}
    for name in CSV_COLUMNS:
        position = columns.get(name)
        cell = cells[position] if position is not None and position < len(cells) else ""
        if len(cell) > CELL_MAX:
            raise RecordError(name, f"longer than {CELL_MAX} characters")
        values[name] = csv_cell_in(cell)
    return ExpenseRow(**values)


def csv_upload_problem(head: bytes, *, name: str) -> str | None:
    """Why the start of an uploaded file is not an expenses CSV (None if it looks like one), so
    that a wrong file is refused at once rather than by a failed job."""
    kind = sniff(head, name=name)
    if kind != "csv":
        shown = {"json": "a JSON file", "jsonld": "a JSON-LD file", "html": "a web page"}[kind]
        return f"This is {shown}: expenses are imported from CSV files only."
    text = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    try:
        first_line = text.decode(head, final=False).partition("\n")[0].rstrip("\r")
    except UnicodeDecodeError:
        return "This is not a CSV file: it is not UTF-8 text."
    try:
        _header(next(csv.reader([first_line]), []))
    except FileError as error:
        return f"This file cannot be imported: {error}."
    except csv.Error:
        return "This is not a CSV file: its first line cannot be read as CSV."
    return None


# -- In: the writer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedExpense:
    data: ExpenseInput
    category_name: str


def _record_error(error: ValidationError) -> RecordError:
    """The first wrong field as the report's field; any other wrong field is said in the message."""
    problems = [(name, " ".join(messages)) for name, messages in error.message_dict.items()]
    (first, message), others = problems[0], problems[1:]
    if others:
        message += " (also " + "; ".join(f"{name}: {text}" for name, text in others) + ")"
    return RecordError(first, message)


@dataclass
class ExpenseWriter:
    """Writes the rows of one import job for one user, each keyed "<job id>:<row key>" (import_key).

    check() runs in the pipeline's reader thread: it reads no database. The user's category names
    are read once here, so that a file naming more new categories than a user may have is refused
    row by row instead of failing its batch."""

    user_id: int
    job_id: int
    _categories: set[str] = field(init=False)  # casefolded names: the user's, and the file's new ones

    def __post_init__(self) -> None:
        names = ExpenseCategory.objects.filter(owner_id=self.user_id).values_list("name", flat=True)
        self._categories = {name.casefold() for name in names}

    def check(self, record: ExpenseRow) -> CheckedExpense:
        try:
            data = expense_input(amount=record.amount, date=record.date, description=record.description,
                                 currency=record.currency.strip())  # fmt: skip
        except ValidationError as error:
            raise _record_error(error) from None
        name = ""
        if record.category.strip():
            try:
                name = category_name_clean(record.category)
            except ValidationError as error:
                raise RecordError("category", " ".join(error.messages)) from None
            folded = name.casefold()
            if folded not in self._categories:
                if len(self._categories) >= CATEGORIES_MAX:
                    raise RecordError(
                        "category", f"{name[:60]!r} would be a new category; you may have at most {CATEGORIES_MAX}"
                    )
                self._categories.add(folded)
        return CheckedExpense(data=data, category_name=name)

    def write(self, batch: list[tuple[str, CheckedExpense]]) -> int:
        """Write the rows not written before (in the pipeline's batch transaction); returns how many."""
        return expenses_import_batch(
            user_id=self.user_id,
            batch=[
                ImportedExpense(key=f"{self.job_id}:{key}", data=row.data, category_name=row.category_name)
                for key, row in batch
            ],
        )

    def finish(self) -> None:
        """Nothing to do: each batch told the user's open tabs when it committed."""
