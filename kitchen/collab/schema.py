"""A recipe as a Yjs document: its shape, built from rows, read back as plain content, changed to match rows.

Roots (the co-editing page's client uses the same):
- `meta` (Y.Map): servings, prep_time (int), difficulty, status (str), categories (Y.Map "<id>" -> True,
  so that two chefs adding a category at once both keep theirs);
- `name`, `description` (Y.Text);
- `lines` (Y.Array of Y.Map): id (UUID string), ingredient, quantity (decimal string), unit, note, pos;
- `steps` (Y.Array of Y.Map): id, text (Y.Text), pos.
Order comes from `pos` alone (fractional-indexing keys compared as plain strings, ties by id): a move
changes `pos`, so a move and a concurrent edit of the same line both survive.

pycrdt's Text offsets are UTF-8 byte offsets; `text_replace` converts from characters.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypedDict

from fractional_indexing import generate_key_between, generate_n_keys_between  # type: ignore[import-untyped]
from pycrdt import Array, Doc, Map, Text

ROOTS = ("meta", "name", "description", "lines", "steps")
META_KEYS = ("servings", "prep_time", "difficulty", "status", "categories")
LINE_KEYS = ("id", "ingredient", "quantity", "unit", "note", "pos")
STEP_KEYS = ("id", "text", "pos")


class LineContent(TypedDict):
    id: str
    ingredient: str
    quantity: str
    unit: str
    note: str
    pos: str


class StepContent(TypedDict):
    id: str
    text: str
    pos: str


class Content(TypedDict):
    name: str
    description: str
    meta: dict[str, Any]
    lines: list[LineContent]
    steps: list[StepContent]


def new_doc(*, client_id: int | None = None) -> Doc:
    """An empty document with every root declared (a root reads as missing until declared)."""
    doc: Doc = Doc(client_id=client_id) if client_id is not None else Doc()
    declare_roots(doc)
    return doc


def declare_roots(doc: Doc) -> None:
    doc["meta"] = Map()
    doc["name"] = Text()
    doc["description"] = Text()
    doc["lines"] = Array()
    doc["steps"] = Array()


def new_id() -> str:
    return str(uuid.uuid4())


def fill(doc: Doc, content: Content) -> None:
    """Write `content` into an empty document, in one transaction (the first build, a test's client)."""
    with doc.transaction():
        meta = doc.get("meta", type=Map)
        for key, value in content["meta"].items():
            if key == "categories":
                meta["categories"] = Map({str(category): True for category in value})
            else:
                meta[key] = value
        doc.get("name", type=Text).insert(0, content["name"])
        if content["description"]:
            doc.get("description", type=Text).insert(0, content["description"])
        lines = doc.get("lines", type=Array)
        for line in content["lines"]:
            lines.append(Map(dict(line)))
        steps = doc.get("steps", type=Array)
        for step in content["steps"]:
            steps.append(Map({"id": step["id"], "text": Text(step["text"]), "pos": step["pos"]}))


def positions(count: int) -> list[str]:
    """`count` ordered fractional-index keys for a list built from scratch."""
    return list(generate_n_keys_between(None, None, count)) if count else []


def position_after(previous: str | None) -> str:
    try:
        return str(generate_key_between(previous, None))
    except Exception:  # an invalid key from a client: start a fresh order after everything
        return str(generate_key_between(None, None)) if previous is None else previous + "V"


# -- Reading ------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Text):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value)
    return ""


def _number_text(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _order(item: dict[str, Any]) -> tuple[str, str]:
    return (item["pos"], item["id"])


def _items(doc: Doc, root: str) -> Iterable[Map]:
    array = doc.get(root, type=Array)
    for item in array:
        if isinstance(item, Map):
            yield item


def read(doc: Doc) -> Content:
    """The document as plain content, lines and steps in order. Never raises on odd values:
    whatever a client wrote is turned into text here, and validated at write-back."""
    meta_map = doc.get("meta", type=Map)
    meta: dict[str, Any] = {}
    for key in META_KEYS:
        value = meta_map.get(key)
        if key == "categories":
            meta[key] = sorted(
                (int(k) for k, v in value.items() if v and k.isdigit() and len(k) < 19)
                if isinstance(value, Map)
                else []
            )
        elif isinstance(value, float) and value.is_integer():
            meta[key] = int(value)
        elif isinstance(value, str | int | float | bool) or value is None:
            meta[key] = value
        else:
            meta[key] = None
    lines: list[LineContent] = []
    for item in _items(doc, "lines"):
        fields = {key: _text(item.get(key)) for key in LINE_KEYS}
        lines.append(LineContent(**fields))  # type: ignore[typeddict-item]
    steps: list[StepContent] = []
    for item in _items(doc, "steps"):
        steps.append(StepContent(id=_text(item.get("id")), text=_text(item.get("text")), pos=_text(item.get("pos"))))
    lines.sort(key=_order)  # type: ignore[arg-type]
    steps.sort(key=_order)  # type: ignore[arg-type]
    return Content(
        name=str(doc.get("name", type=Text)),
        description=str(doc.get("description", type=Text)),
        meta=meta,
        lines=lines,
        steps=steps,
    )


# -- Changing a document to match new content ---------------------------------------------------


def text_replace(text: Text, new: str) -> None:
    """Change `text` into `new` by one delete and one insert around their common prefix and suffix,
    so a concurrent edit elsewhere in the field survives. Offsets are UTF-8 bytes in pycrdt."""
    old = str(text)
    if old == new:
        return
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    byte_start = len(old[:start].encode())
    removed = old[start : len(old) - end]
    if removed:
        del text[byte_start : byte_start + len(removed.encode())]
    added = new[start : len(new) - end]
    if added:
        text.insert(byte_start, added)


ALL_PARTS = ("name", "description", "meta", "lines", "steps")


def apply_content(doc: Doc, target: Content, *, parts: Iterable[str] = ALL_PARTS) -> None:
    """Make the named parts of the document equal to `target`, touching only what differs (call
    inside a transaction). Lines and steps are matched by id: changed fields set, missing items
    deleted, new items inserted with a position after their predecessor in `target`."""
    wanted = set(parts)
    for root in ("name", "description"):
        if root in wanted:
            text_replace(doc.get(root, type=Text), target[root])
    if "meta" in wanted:
        meta = doc.get("meta", type=Map)
        for key, value in target["meta"].items():
            if key == "categories":
                _categories_set(meta, value)
            elif meta.get(key) != value:
                meta[key] = value
    if "lines" in wanted:
        _items_apply(doc.get("lines", type=Array), target["lines"], text_keys=())  # type: ignore[arg-type]
    if "steps" in wanted:
        _items_apply(doc.get("steps", type=Array), target["steps"], text_keys=("text",))  # type: ignore[arg-type]


def _categories_set(meta: Map, ids: list[int]) -> None:
    current = meta.get("categories")
    if not isinstance(current, Map):
        meta["categories"] = Map({str(category): True for category in ids})
        return
    want = {str(category) for category in ids}
    for key in list(current.keys()):
        if key not in want:
            del current[key]
    for key in want:
        if current.get(key) is not True:
            current[key] = True


def _items_apply(array: Array, target: list[dict[str, Any]], *, text_keys: tuple[str, ...]) -> None:
    by_id: dict[str, Map] = {}
    for item in array:
        if isinstance(item, Map):
            by_id.setdefault(_text(item.get("id")), item)
    keep = {item["id"] for item in target}
    for index in range(len(array) - 1, -1, -1):
        item = array[index]
        if not isinstance(item, Map) or _text(item.get("id")) not in keep:
            del array[index]
    previous: str | None = None
    for wanted in target:
        existing = by_id.get(wanted["id"])
        if existing is None:
            fields = dict(wanted)
            for key in text_keys:
                fields[key] = Text(fields[key])
            if not fields.get("pos"):
                fields["pos"] = position_after(previous)
            array.append(Map(fields))
        else:
            for key, value in wanted.items():
                if key in text_keys:
                    current = existing.get(key)
                    if isinstance(current, Text):
                        text_replace(current, value)
                    else:
                        existing[key] = Text(value)
                elif key == "pos" and not value:
                    continue
                elif _text(existing.get(key)) != value:
                    existing[key] = value
        previous = wanted.get("pos") or previous


# -- Changing a document by what changed in the rows ---------------------------------------------

LINE_FIELDS = ("ingredient", "quantity", "unit", "note")


def apply_changes(doc: Doc, base: Content, new: Content) -> None:
    """Apply to the document what changed from `base` to `new` (the rows before and after a change
    made elsewhere), and nothing else: a field the change did not touch keeps whatever editors
    typed since, even if not yet written back. A field both changed ends with the rows' value.
    Call inside a transaction."""
    for root in ("name", "description"):
        if base[root] != new[root]:
            text_replace(doc.get(root, type=Text), new[root])
    meta = doc.get("meta", type=Map)
    for key in ("servings", "prep_time", "difficulty", "status"):
        if base["meta"].get(key) != new["meta"].get(key):
            meta[key] = new["meta"][key]
    added = set(new["meta"].get("categories", [])) - set(base["meta"].get("categories", []))
    removed = set(base["meta"].get("categories", [])) - set(new["meta"].get("categories", []))
    if added or removed:
        categories = meta.get("categories")
        if not isinstance(categories, Map):
            meta["categories"] = Map()
            categories = meta["categories"]
        for category in added:
            categories[str(category)] = True
        for category in removed:
            if str(category) in categories:
                del categories[str(category)]
    _items_changes(doc.get("lines", type=Array), base["lines"], new["lines"], LINE_FIELDS, ())  # type: ignore[arg-type]
    _items_changes(doc.get("steps", type=Array), base["steps"], new["steps"], (), ("text",))  # type: ignore[arg-type]


def _items_changes(
    array: Array,
    base: list[dict[str, Any]],
    new: list[dict[str, Any]],
    fields: tuple[str, ...],
    text_fields: tuple[str, ...],
) -> None:
    base_by = {item["id"]: item for item in base}
    new_by = {item["id"]: item for item in new}
    for index in range(len(array) - 1, -1, -1):  # gone from the rows: gone from the document
        item = array[index]
        if isinstance(item, Map) and _text(item.get("id")) in base_by and _text(item.get("id")) not in new_by:
            del array[index]
    in_doc = {_text(item.get("id")): item for item in array if isinstance(item, Map)}
    for item_id, wanted in new_by.items():  # changed fields only
        was, item = base_by.get(item_id), in_doc.get(item_id)
        if was is None or item is None:
            continue
        for key in fields:
            if was[key] != wanted[key]:
                item[key] = wanted[key]
        for key in text_fields:
            if was[key] != wanted[key]:
                current = item.get(key)
                if isinstance(current, Text):
                    text_replace(current, wanted[key])
                else:
                    item[key] = Text(wanted[key])
    for position, wanted in enumerate(new):  # new in the rows: placed after the one before it
        if wanted["id"] in base_by or wanted["id"] in in_doc:
            continue
        before = _pos_of(in_doc.get(new[position - 1]["id"])) if position else None
        after = _pos_of(in_doc.get(new[position + 1]["id"])) if position + 1 < len(new) else None
        fields_of = {key: wanted[key] for key in (*fields, "id")}
        for key in text_fields:
            fields_of[key] = Text(wanted[key])
        fields_of["pos"] = position_between(before, after)
        array.append(Map(fields_of))
        in_doc[wanted["id"]] = array[len(array) - 1]


def _pos_of(item: Map | None) -> str | None:
    return _text(item.get("pos")) or None if item is not None else None


def position_between(before: str | None, after: str | None) -> str:
    try:
        return str(generate_key_between(before, after))
    except Exception:  # keys out of order or invalid (a client's): after the one before
        return position_after(before)
