"""The file formats recipes are imported from, each streamed: CSV, JSON (the API's recipe schema),
schema.org JSON-LD, and recipe pages (HTML). Each turns records into RecipeDrafts (imports/records.py).

CSV: one row per ingredient line or step, grouped by `recipe_ref` (a recipe's rows together):

    recipe_ref,kind,name,description,servings,prep_time,difficulty,status,categories,ingredient,quantity,unit,note,step
    r1,line,Onion soup,,4,45,easy,draft,Soups|Starters,Onion,600,g,sliced,
    r1,line,,,,,,,,Butter,50,g,,
    r1,step,,,,,,,,,,,,Melt the butter and soften the onions.

`kind` is `line` (ingredient, quantity, unit, note), `step` (step) or `recipe` (recipe fields only);
the recipe's own fields are read from its first row (later rows may leave them empty, or repeat
them). Required columns: recipe_ref, kind, name. Categories are separated by `|`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

import ijson

from imports.records import FileError, LineDraft, RecipeDraft, RecordError

CSV_COLUMNS = ("recipe_ref", "kind", "name", "description", "servings", "prep_time", "difficulty", "status",
               "categories", "ingredient", "quantity", "unit", "note", "step")  # fmt: skip
CSV_REQUIRED = ("recipe_ref", "kind", "name")
RECIPE_FIELDS = ("name", "description", "servings", "prep_time", "difficulty", "status", "categories")
MAX_REF = 100
MAX_FIELD = 10_000  # characters in one CSV field
MAX_ROWS_PER_RECIPE = 1_000
csv.field_size_limit(MAX_FIELD + 1)


# A cell starting with one of these is a formula to a spreadsheet (CSV injection): exports prefix
# such cells with an apostrophe, and imports take it off again, so an export imports back as it was.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(value: str) -> bool:
    """A formula start, or apostrophes before one (so text that itself began "'=" comes back as it was)."""
    return value.lstrip("'").startswith(FORMULA_STARTS)


def csv_cell_out(value: str) -> str:
    return "'" + value if _formula_like(value) else value


def csv_cell_in(value: str) -> str:
    return value[1:] if value.startswith("'") and _formula_like(value[1:]) else value


def _text(stream: BinaryIO) -> io.TextIOWrapper:
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")


def _int(value: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise RecordError(field, f"{value[:40]!r} is not a whole number") from None


def _decimal(value: str, field: str) -> Decimal:
    try:
        number = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        raise RecordError(field, f"{value[:40]!r} is not a number") from None
    if not number.is_finite():
        raise RecordError(field, f"{value[:40]!r} is not a number")
    return number


class SeenKeys:
    """The record keys met so far in a file, kept in a private temporary SQLite database on disk (an
    empty file name): finding a key used twice, far apart, takes memory that stays flat however many
    records the file holds (a Python set of 100,000 refs is about 10 MB)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY) WITHOUT ROWID")
        self._db.execute("BEGIN")  # one transaction for the file's life: no commit per key

    def add(self, key: str) -> bool:
        """Record the key; False if it was met before."""
        try:
            self._db.execute("INSERT INTO seen VALUES (?)", (key,))
        except sqlite3.IntegrityError:
            return False
        return True

    def close(self) -> None:
        self._db.close()


class CsvImporter:
    def _rows(self, stream: BinaryIO) -> Iterator[tuple[int, dict[str, str]]]:
        text = _text(stream)
        try:
            reader = csv.DictReader(text, strict=True)
            header = reader.fieldnames or []
            names = [name.strip().lower() for name in header]
            missing = [column for column in CSV_REQUIRED if column not in names]
            if missing:
                raise FileError(
                    f"this is not a Brigade recipe CSV: it has no column {', '.join(map(repr, missing))} "
                    f"(columns: {', '.join(CSV_COLUMNS)})"
                )
            reader.fieldnames = names
            for row in reader:
                yield reader.line_num, {k: csv_cell_in(v) if isinstance(v, str) else v for k, v in row.items()}
        except UnicodeDecodeError as error:
            raise FileError(f"the file is not UTF-8 text (a bad byte at offset {error.start} of a block)") from None
        except csv.Error as error:
            raise FileError(f"the CSV cannot be read: {error}") from None

    def _groups(self, stream: BinaryIO) -> Iterator[tuple[str, int, list[dict[str, str]]]]:
        """Rows grouped by contiguous recipe_ref; a ref seen before is an error group of its own."""
        current: str | None = None
        rows: list[dict[str, str]] = []
        first_line = 0
        for line, row in self._rows(stream):
            ref = (row.get("recipe_ref") or "").strip()
            if ref != current:
                if current is not None:
                    yield current, first_line, rows
                current, rows, first_line = ref, [], line
            rows.append(row)
        if current is not None:
            yield current, first_line, rows

    def count(self, stream: BinaryIO) -> int:
        return sum(1 for _ in self._groups(stream))

    def records(self, stream: BinaryIO) -> Iterator[tuple[str, Any]]:
        seen = SeenKeys()
        try:
            yield from self._records(stream, seen)
        finally:
            seen.close()

    def _records(self, stream: BinaryIO, seen: SeenKeys) -> Iterator[tuple[str, Any]]:
        for ref, line, rows in self._groups(stream):
            key = ref or f"line {line}"
            if not ref:
                yield key, RecordError("recipe_ref", f"the row at line {line} has no recipe_ref")
            elif len(ref) > MAX_REF:
                yield key[:MAX_REF], RecordError("recipe_ref", f"longer than {MAX_REF} characters")
            elif not seen.add(ref):
                yield (
                    f"{ref} (line {line})",
                    RecordError(
                        "recipe_ref", f"{ref!r} appears again at line {line}, apart from its first rows: duplicate"
                    ),
                )
            else:
                try:
                    yield ref, self._draft(rows, line)
                except RecordError as error:
                    yield ref, error

    def _draft(self, rows: list[dict[str, str]], line: int) -> RecipeDraft:
        if len(rows) > MAX_ROWS_PER_RECIPE:
            raise RecordError("recipe_ref", f"more than {MAX_ROWS_PER_RECIPE} rows for one recipe")
        head = rows[0]
        if None in head:  # more cells than columns
            raise RecordError("", f"line {line} has more cells than the header has columns")
        fields = {name: (head.get(name) or "").strip() for name in RECIPE_FIELDS}
        draft = RecipeDraft(name=fields["name"], description=head.get("description") or "")
        if fields["servings"]:
            draft.servings = _int(fields["servings"], "servings")
        if fields["prep_time"]:
            draft.prep_time = _int(fields["prep_time"], "prep_time")
        draft.difficulty = fields["difficulty"] or draft.difficulty
        draft.status = fields["status"] or draft.status
        draft.categories = [name.strip() for name in fields["categories"].split("|") if name.strip()]
        for offset, row in enumerate(rows):
            kind = (row.get("kind") or "").strip().lower()
            where = f"line {line + offset}"
            other_name = (row.get("name") or "").strip()
            if offset and other_name and other_name != draft.name:
                raise RecordError("name", f"{where} names the recipe {other_name[:60]!r}, not {draft.name[:60]!r}")
            if kind == "line":
                ingredient = (row.get("ingredient") or "").strip()
                if not ingredient:
                    raise RecordError("ingredient", f"{where}: an ingredient line needs an ingredient")
                draft.lines.append(LineDraft(
                    ingredient=ingredient,
                    quantity=_decimal(row.get("quantity") or "", "quantity"),
                    unit=(row.get("unit") or "").strip(),
                    note=(row.get("note") or "").strip(),
                ))  # fmt: skip
            elif kind == "step":
                draft.steps.append(row.get("step") or "")
            elif kind != "recipe":
                raise RecordError("kind", f"{where}: kind must be line, step or recipe, not {kind[:20]!r}")
        return draft


# -- JSON: the API's recipe schema, one object or a list ------------------------------------------


def _first_byte(stream: BinaryIO) -> bytes:
    head = stream.read(4096).lstrip(codecs.BOM_UTF8).lstrip()
    stream.seek(0)
    return head[:1]


class JsonImporter:
    """Objects as `POST /api/recipes` takes them, except that lines may name their ingredient
    (`"ingredient": "Butter"`) instead of giving its id, and categories may be named
    (`"categories": ["Soups"]`) instead of `category_ids`."""

    def _items(self, stream: BinaryIO) -> Iterator[Any]:
        first = _first_byte(stream)
        if first not in (b"[", b"{"):
            raise FileError("this is not JSON: it does not start with [ or {")
        prefix = "item" if first == b"[" else ""
        try:
            yield from ijson.items(stream, prefix, use_float=False)
        except ijson.IncompleteJSONError as error:
            raise FileError(f"the JSON is cut short or malformed: {str(error)[:200]}") from None
        except ijson.JSONError as error:
            raise FileError(f"the JSON cannot be read: {str(error)[:200]}") from None
        except UnicodeDecodeError:
            raise FileError("the file is not UTF-8 text") from None

    def count(self, stream: BinaryIO) -> int:
        return sum(1 for _ in self._items(stream))

    def records(self, stream: BinaryIO) -> Iterator[tuple[str, Any]]:
        for number, item in enumerate(self._items(stream), start=1):
            key = f"#{number}"
            try:
                yield key, draft_from_api_json(item)
            except RecordError as error:
                yield key, error


def _str(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(field, "must be a string")
    return value


def draft_from_api_json(item: Any) -> RecipeDraft:
    if not isinstance(item, dict):
        raise RecordError("", "a recipe must be a JSON object")
    if "@type" in item or "@context" in item:
        raise RecordError("", "this is schema.org JSON-LD; import it as a .jsonld file")
    unknown = set(item) - {"name", "description", "servings", "prep_time", "difficulty", "status", "categories",
                           "category_ids", "ingredients", "steps", "id", "chef", "updated_at", "cost"}  # fmt: skip
    if unknown:
        raise RecordError(sorted(unknown)[0], "is not a recipe field")
    draft = RecipeDraft(name=_str(item.get("name"), "name"), description=_str(item.get("description"), "description"))
    for field in ("servings", "prep_time"):
        value = item.get(field)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise RecordError(field, "must be a whole number")
            setattr(draft, field, value)
    draft.difficulty = _str(item.get("difficulty"), "difficulty") or draft.difficulty
    draft.status = _str(item.get("status"), "status") or draft.status
    categories = item.get("categories") or []
    if not isinstance(categories, list) or not all(isinstance(name, str) for name in categories):
        raise RecordError("categories", "must be a list of names")
    draft.categories = categories
    ingredients = item.get("ingredients") or []
    if not isinstance(ingredients, list):
        raise RecordError("ingredients", "must be a list")
    for index, line in enumerate(ingredients):
        where = f"ingredients[{index}]"
        if not isinstance(line, dict):
            raise RecordError(where, "must be an object")
        name = line.get("ingredient")
        if not isinstance(name, str) or not name.strip():
            raise RecordError(f"{where}.ingredient", "name the ingredient (a string)")
        quantity = line.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, (str, int, Decimal)):
            raise RecordError(f"{where}.quantity", 'must be a number as a string, e.g. "12.5"')
        draft.lines.append(LineDraft(
            ingredient=name.strip(),
            quantity=_decimal(str(quantity), f"{where}.quantity"),
            unit=_str(line.get("unit"), f"{where}.unit"),
            note=_str(line.get("note"), f"{where}.note"),
        ))  # fmt: skip
    steps = item.get("steps") or []
    if not isinstance(steps, list):
        raise RecordError("steps", "must be a list of strings")
    for index, step in enumerate(steps):
        text = step.get("text") if isinstance(step, dict) else step
        draft.steps.append(_str(text, f"steps[{index}]"))
    return draft


def sniff(head: bytes, *, name: str = "", content_type: str = "") -> str:
    """The format of a file from its first bytes (and name or content type): csv, json, jsonld or html."""
    start = head.lstrip(codecs.BOM_UTF8).lstrip()[:1]
    lowered = head[:4096].lower()
    if name.lower().endswith((".html", ".htm")) or "html" in content_type or start == b"<":
        return "html"
    if start in (b"{", b"["):
        if b'"@context"' in lowered or b'"@type"' in lowered or name.lower().endswith(".jsonld"):
            return "jsonld"
        return "json"
    return "csv"


def json_loads_bounded(raw: bytes) -> Any:
    """A small JSON document (a page's JSON-LD): no NaN or infinities, no absurd nesting."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise FileError(f"the JSON cannot be read: {str(error)[:200]}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")
