"""Stored documents: built once from rows, appended to before anyone sees an update, compacted,
written back to the rows, and changed when the rows change elsewhere. Sync code (tasks, services,
or `core.db.database_call` from sockets)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Lower
from pycrdt import Doc, merge_updates

from core.realtime.hub import publish_raw
from kitchen.collab import frames, schema
from kitchen.collab.schema import Content, LineContent, StepContent
from kitchen.models import (
    Category,
    Ingredient,
    Recipe,
    RecipeDocument,
    RecipeDocumentUpdate,
    RecipeIngredient,
    RecipeVersion,
    Step,
    Unit,
)

logger = logging.getLogger(__name__)

NAME_MAX = 200
NOTE_MAX = 200
ID_MAX = 64  # RecipeIngredient.doc_id, Step.doc_id
TEXT_MAX = 20_000
SERVINGS_MAX = 32767
PREP_TIME_MAX = 7 * 24 * 60
QUANTITY_MAX = Decimal("9999999.999")  # max_digits=10, decimal_places=3


def quantity_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def rows_content(recipe: Recipe) -> Content:
    """The recipe's rows as document content (lines and steps in their order)."""
    lines: list[LineContent] = []
    rows = list(recipe.recipe_ingredients.select_related("ingredient").order_by("position"))
    keys = schema.positions(len(rows) + len(recipe.unparsed_ingredients or []))
    for row, pos in zip(rows, keys, strict=False):
        lines.append(
            LineContent(
                id=str(row.doc_id),
                ingredient=row.ingredient.name,
                quantity=quantity_text(row.quantity),
                unit=row.unit,
                note=row.note,
                pos=pos,
            )
        )
    steps = [
        StepContent(id=str(step.doc_id), text=step.text, pos=pos)
        for step, pos in zip(
            list(recipe.steps.order_by("position")), schema.positions(recipe.steps.count()), strict=False
        )
    ]
    return Content(
        name=recipe.name,
        description=recipe.description,
        meta={
            "servings": recipe.servings,
            "prep_time": recipe.prep_time,
            "difficulty": recipe.difficulty,
            "status": recipe.status,
            "categories": sorted(recipe.categories.values_list("pk", flat=True)),
        },
        lines=lines,
        steps=steps,
    )


def _ensure_doc_ids(recipe: Recipe) -> None:
    """Give every line and step an id of its own in the document (rows made before co-editing have none)."""
    models: tuple[Any, ...] = (RecipeIngredient, Step)
    for model in models:
        rows = list(model.objects.filter(recipe=recipe).only("pk", "doc_id"))
        seen: set[Any] = set()
        changed = []
        for row in rows:
            if row.doc_id is None or row.doc_id in seen:
                row.doc_id = schema.new_id()
                changed.append(row)
            seen.add(row.doc_id)
        if changed:
            model.objects.bulk_update(changed, ["doc_id"])


def document_get_or_build(*, recipe_id: int) -> RecipeDocument | None:
    """The recipe's document, built from its rows the first time (None: no such recipe).

    Two processes opening a recipe at once both try to build; the one-to-one column lets one
    insert win and the other read the winner's document (a second build would duplicate content)."""
    document = RecipeDocument.objects.filter(recipe_id=recipe_id).first()
    if document is not None:
        return document
    try:
        with transaction.atomic():
            recipe = Recipe.objects.select_for_update().filter(pk=recipe_id).first()
            if recipe is None:
                return None
            document = RecipeDocument.objects.filter(recipe_id=recipe_id).first()
            if document is not None:
                return document
            _ensure_doc_ids(recipe)
            doc = schema.new_doc()
            content = rows_content(recipe)
            schema.fill(doc, content)
            for text in recipe.unparsed_ingredients or []:  # lines an import could not read: kept
                schema.apply_content(doc, _with_unparsed_line(schema.read(doc), str(text)), parts=("lines",))
            return RecipeDocument.objects.create(recipe=recipe, snapshot=doc.get_update(), written_content=content)
    except IntegrityError:  # the other builder committed first
        return RecipeDocument.objects.filter(recipe_id=recipe_id).first()


def _with_unparsed_line(content: Content, text: str) -> Content:
    last = content["lines"][-1]["pos"] if content["lines"] else None
    line = LineContent(id=schema.new_id(), ingredient=text[:NAME_MAX], quantity="", unit="", note="", pos="")
    line["pos"] = schema.position_after(last)
    content["lines"].append(line)
    return content


@dataclass
class Stored:
    """A document as stored: its snapshot and the updates after it, up to `last_seq`."""

    snapshot: bytes
    snapshot_seq: int
    updates: list[tuple[int, bytes]]
    last_seq: int

    def doc(self) -> Doc:
        doc = schema.new_doc()
        doc.apply_update(self.snapshot)
        for _, update in self.updates:
            doc.apply_update(update)
        return doc

    def state(self) -> bytes:
        return merge_updates(self.snapshot, *(update for _, update in self.updates)) if self.updates else self.snapshot


def document_stored(*, recipe_id: int, after: int = 0) -> Stored | None:
    """The stored snapshot and updates (only updates after `after`, and no snapshot, when the log still
    holds them all: a process catching up). Consistent: retried if a compaction moved the snapshot between
    the two reads."""
    for _ in range(5):
        row = (
            RecipeDocument.objects.filter(recipe_id=recipe_id)
            .values("pk", "snapshot", "snapshot_seq", "last_seq")
            .first()
        )
        if row is None:
            return None
        start = max(after, row["snapshot_seq"])
        updates = [
            (seq, bytes(update))
            for seq, update in RecipeDocumentUpdate.objects.filter(document_id=row["pk"], seq__gt=start)
            .order_by("seq")
            .values_list("seq", "update")
        ]
        first = updates[0][0] if updates else None
        if first is not None and first != start + 1:
            continue  # a compaction committed between the two reads: read again
        last = updates[-1][0] if updates else start
        if after > 0 and after >= row["snapshot_seq"]:
            return Stored(snapshot=b"", snapshot_seq=after, updates=updates, last_seq=last)
        return Stored(snapshot=bytes(row["snapshot"]), snapshot_seq=row["snapshot_seq"], updates=updates, last_seq=last)
    raise RuntimeError(f"document of recipe {recipe_id} kept moving while being read")


def document_append(*, recipe_id: int, updates: list[tuple[bytes, int | None]]) -> tuple[int, int]:
    """Store accepted updates in one transaction; returns the (first, last) seq they were given.

    The document row's update holds its lock until commit, so seqs commit in order. On PostgreSQL
    it is one statement (one round trip, committed on its own): this is every edit's latency."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _append_postgresql(recipe_id=recipe_id, updates=updates)
    with transaction.atomic():
        first, last = _append(recipe_id=recipe_id, updates=updates)
    return first, last


_APPEND_SQL = """
WITH document AS (
    UPDATE kitchen_recipedocument SET last_seq = last_seq + %(count)s
    WHERE recipe_id = %(recipe)s RETURNING id, last_seq
)
INSERT INTO kitchen_recipedocumentupdate (document_id, seq, update, user_id, created_at)
SELECT document.id, document.last_seq - %(count)s + item.n, item.update, item.user_id, now()
FROM document, unnest(%(updates)s::bytea[], %(users)s::bigint[]) WITH ORDINALITY AS item(update, user_id, n)
RETURNING seq
"""


def _append_postgresql(*, recipe_id: int, updates: list[tuple[bytes, int | None]]) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            _APPEND_SQL,
            {
                "count": len(updates),
                "recipe": recipe_id,
                "updates": [update for update, _ in updates],
                "users": [user for _, user in updates],
            },
        )
        seqs = [row[0] for row in cursor.fetchall()]
    if not seqs:
        raise RecipeDocument.DoesNotExist(f"recipe {recipe_id} has no document")
    return min(seqs), max(seqs)


def _append(*, recipe_id: int, updates: list[tuple[bytes, int | None]]) -> tuple[int, int]:
    count = len(updates)
    changed = RecipeDocument.objects.filter(recipe_id=recipe_id).update(last_seq=F("last_seq") + count)
    if not changed:
        raise RecipeDocument.DoesNotExist(f"recipe {recipe_id} has no document")
    document_id, last = RecipeDocument.objects.filter(recipe_id=recipe_id).values_list("pk", "last_seq").get()
    first = last - count + 1
    RecipeDocumentUpdate.objects.bulk_create(
        RecipeDocumentUpdate(document_id=document_id, seq=first + i, update=update, user_id=user)
        for i, (update, user) in enumerate(updates)
    )
    return first, last


def document_compact(*, recipe_id: int) -> int:
    """Fold the stored updates into the snapshot (from storage, never one process's memory); returns
    the new snapshot's seq. Concurrent compactions are harmless: the later snapshot wins."""
    stored = document_stored(recipe_id=recipe_id)
    if stored is None or not stored.updates:
        return stored.snapshot_seq if stored else 0
    state = stored.doc().get_update()
    with transaction.atomic():
        document = RecipeDocument.objects.select_for_update().get(recipe_id=recipe_id)
        if document.snapshot_seq >= stored.last_seq:
            return document.snapshot_seq
        authors = set(document.authors_pending)
        authors.update(
            RecipeDocumentUpdate.objects.filter(document=document, seq__lte=stored.last_seq, user__isnull=False)
            .values_list("user_id", flat=True)
            .distinct()
        )
        document.snapshot, document.snapshot_seq = state, stored.last_seq
        document.authors_pending = sorted(authors)
        document.save(update_fields=["snapshot", "snapshot_seq", "authors_pending"])
        RecipeDocumentUpdate.objects.filter(document=document, seq__lte=stored.last_seq).delete()
    return stored.last_seq


# -- Write-back: the document to the rows -------------------------------------------------------


@dataclass
class Plan:
    fields: dict[str, Any] = field(default_factory=dict)
    categories: list[Category] = field(default_factory=list)
    lines: list[tuple[LineContent, Ingredient, Decimal]] = field(default_factory=list)
    steps: list[StepContent] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)  # "name", "meta.servings", "line:<id>.quantity"...
    unknown_ingredients: list[str] = field(default_factory=list)  # line ids
    unread: list[str] = field(default_factory=list)  # lines kept only in the document (as text on the recipe)

    def report(self, seq: int) -> dict[str, Any]:
        return {
            "seq": seq,
            "invalid": self.invalid,
            "unknown_ingredients": self.unknown_ingredients,
            "unread_lines": self.unread,
        }


def _integer(value: object, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
        value = int(value.strip())
    if isinstance(value, int) and low <= value <= high:
        return value
    return None


def parse_quantity(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not text or len(text) > 20:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value > QUANTITY_MAX or value != value.quantize(Decimal("0.001")):
        return None
    return value.quantize(Decimal("0.001"))


def plan_write_back(recipe: Recipe, content: Content) -> Plan:
    """What of the document may go to the rows; the rest is reported and keeps its last valid value."""
    plan = Plan()
    name = content["name"].strip()
    if not name:
        plan.invalid["name"] = "A recipe needs a name."
    elif len(name) > NAME_MAX:
        plan.invalid["name"] = f"At most {NAME_MAX} characters."
    else:
        plan.fields["name"] = name
    if len(content["description"]) > TEXT_MAX:
        plan.invalid["description"] = f"At most {TEXT_MAX} characters."
    else:
        plan.fields["description"] = content["description"]
    meta = content["meta"]
    servings = _integer(meta.get("servings"), 1, SERVINGS_MAX)
    if servings is None:
        plan.invalid["meta.servings"] = f"Servings is a whole number from 1 to {SERVINGS_MAX}."
    else:
        plan.fields["servings"] = servings
    prep_time = _integer(meta.get("prep_time"), 0, PREP_TIME_MAX)
    if prep_time is None:
        plan.invalid["meta.prep_time"] = f"Preparation time is a whole number of minutes, at most {PREP_TIME_MAX}."
    else:
        plan.fields["prep_time"] = prep_time
    if meta.get("difficulty") in Recipe.Difficulty.values:
        plan.fields["difficulty"] = meta["difficulty"]
    else:
        plan.invalid["meta.difficulty"] = "Difficulty is easy, medium or hard."
    if meta.get("status") in Recipe.Status.values:
        plan.fields["status"] = meta["status"]
    else:
        plan.invalid["meta.status"] = "Status is draft or completed."
    plan.categories = list(Category.objects.filter(pk__in=meta.get("categories") or []))

    names = {line["ingredient"].strip().lower() for line in content["lines"]}
    ingredients = {
        ingredient.name.lower(): ingredient
        for ingredient in Ingredient.objects.annotate(lname=Lower("name")).filter(lname__in=names)
    }
    kept = {
        str(row.doc_id): row for row in recipe.recipe_ingredients.select_related("ingredient") if row.doc_id is not None
    }
    seen: set[str] = set()
    for index, line in enumerate(content["lines"][:500]):
        line_id = line["id"]
        if not 0 < len(line_id) <= ID_MAX or line_id in seen:
            plan.invalid[f"line#{index}.id"] = "A line needs an id of its own."
            continue
        seen.add(line_id)
        ingredient = ingredients.get(line["ingredient"].strip().lower())
        quantity = parse_quantity(line["quantity"])
        problems = {}
        if ingredient is None:
            plan.unknown_ingredients.append(line_id)
        if quantity is None:
            problems["quantity"] = "A quantity is a number above 0 with at most 3 decimals."
        if line["unit"] not in Unit.values:
            problems["unit"] = "Choose a unit."
        if len(line["note"]) > NOTE_MAX:
            problems["note"] = f"At most {NOTE_MAX} characters."
        for key, message in problems.items():
            plan.invalid[f"line:{line_id}.{key}"] = message
        if ingredient is not None and quantity is not None and not problems:
            plan.lines.append((line, ingredient, quantity))
        elif line_id in kept:  # keeps its last valid value
            row = kept[line_id]
            plan.lines.append(
                (LineContent(**{**line, "unit": row.unit, "note": row.note}), row.ingredient, row.quantity)
            )
        elif line["ingredient"].strip():
            plan.unread.append(line_id)
    steps_kept = {str(step.doc_id): step for step in recipe.steps.all() if step.doc_id is not None}
    for index, step in enumerate(content["steps"][:200]):
        if not 0 < len(step["id"]) <= ID_MAX or step["id"] in seen:
            plan.invalid[f"step#{index}.id"] = "A step needs an id of its own."
            continue
        seen.add(step["id"])
        text = step["text"].strip()
        if text and len(text) <= TEXT_MAX:
            plan.steps.append(StepContent(id=step["id"], text=text, pos=step["pos"]))
            continue
        if text or step["id"] in steps_kept:
            plan.invalid[f"step:{step['id']}.text"] = (
                "A step needs text." if not text else f"At most {TEXT_MAX} characters."
            )
        if step["id"] in steps_kept:
            plan.steps.append(StepContent(id=step["id"], text=steps_kept[step["id"]].text, pos=step["pos"]))
    return plan


def line_text(line: LineContent) -> str:
    """A line as a chef reads it: 2.5 kg Leek finely sliced."""
    return " ".join(part for part in (line["quantity"], line["unit"], line["ingredient"], line["note"]) if part)


@dataclass
class WriteBack:
    seq: int
    written: bool
    report: dict[str, Any]


def document_write_back(*, recipe_id: int, again: bool = False) -> WriteBack | None:
    """Write the stored document to the recipe's rows, in one transaction (None: no such recipe).
    `again`: even when nothing new was stored since the last write-back (an ingredient a line names
    was just created).

    Runs under the recipe row's lock, which every change of the rows takes too, and reads the
    document from storage inside it: what it writes is never older than the rows it replaces."""
    from kitchen import services

    with transaction.atomic():
        recipe = Recipe.objects.select_for_update().filter(pk=recipe_id).first()
        if recipe is None:
            return None
        # Not the document's row lock: every edit's append takes it, and would wait on this work.
        # The recipe's row lock above orders write-backs and changes from elsewhere.
        document = RecipeDocument.objects.filter(recipe_id=recipe_id).first()
        if document is None:
            return None
        stored = document_stored(recipe_id=recipe_id)
        assert stored is not None
        if stored.last_seq <= document.written_seq and not again:
            return WriteBack(seq=document.written_seq, written=False, report=document.report)
        content = schema.read(stored.doc())
        plan = plan_write_back(recipe, content)
        author = (
            RecipeDocumentUpdate.objects.filter(document=document, user__isnull=False)
            .order_by("-seq")
            .values_list("user_id", flat=True)
            .first()
        )
        # Only what differs from the rows is written: typing in the name rewrites no line.
        fields = {name: value for name, value in plan.fields.items() if getattr(recipe, name) != value}
        lines = [
            services.LineInput(
                ingredient=ingredient, quantity=quantity, unit=line["unit"], note=line["note"], doc_id=line["id"]
            )
            for line, ingredient, quantity in plan.lines
        ]
        current_lines = [
            services.LineInput(
                ingredient=row.ingredient, quantity=row.quantity, unit=row.unit, note=row.note, doc_id=row.doc_id
            )
            for row in recipe.recipe_ingredients.select_related("ingredient").order_by("position")
        ]
        steps = [services.StepInput(text=step["text"], doc_id=step["id"]) for step in plan.steps]
        current_steps = [
            services.StepInput(text=row.text, doc_id=row.doc_id) for row in recipe.steps.order_by("position")
        ]
        same_categories = {c.pk for c in plan.categories} == set(recipe.categories.values_list("pk", flat=True))
        categories = None if same_categories else plan.categories
        changed = fields or categories is not None or lines != current_lines or steps != current_steps
        if changed:
            services.recipe_update(
                recipe=recipe,
                fields=fields,
                categories=categories,
                lines=lines if lines != current_lines else None,
                steps=steps if steps != current_steps else None,
                by=User.objects.filter(pk=author).first() if author else None,
                from_document=True,
            )
        unread = {line["id"]: line_text(line) for line in content["lines"] if line["id"] in plan.unread}
        if list(recipe.unparsed_ingredients) != list(unread.values()):
            Recipe.objects.filter(pk=recipe_id).update(unparsed_ingredients=list(unread.values()))
        report = plan.report(stored.last_seq)
        RecipeDocument.objects.filter(pk=document.pk, written_seq__lte=stored.last_seq).update(
            written_seq=stored.last_seq, report=report, written_content=rows_content(recipe)
        )
        if changed or _findings(report) != _findings(document.report):
            transaction.on_commit(lambda: publish_report(recipe_id=recipe_id, report=report), robust=True)
    return WriteBack(seq=stored.last_seq, written=bool(changed), report=report)


def _findings(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key != "seq"}


def document_report(*, recipe_id: int) -> dict[str, Any] | None:
    """The last write-back's findings for the recipe's document (None before any write-back)."""
    report = RecipeDocument.objects.filter(recipe_id=recipe_id).values_list("report", flat=True).first()
    return report if report and "seq" in report else None


def publish_report(*, recipe_id: int, report: dict[str, Any]) -> None:
    from core.realtime.hub import encode
    from kitchen.pricing.services import recipe_topic

    publish_raw(recipe_topic(recipe_id), encode({"type": "document_report", "recipe": recipe_id, **report}))


# -- Rows changed elsewhere: the document follows -----------------------------------------------


def document_apply_rows(*, recipe: Recipe, user_id: int | None) -> None:
    """Bring the document in line with rows just changed by a form, the API, the admin, a restore
    (call inside that change's transaction, with the recipe row locked). Only what changed in the
    rows since they and the document last agreed is applied, so what editors typed meanwhile (not
    yet written back) survives. A recipe without a document needs nothing: its build reads the rows."""
    document = RecipeDocument.objects.filter(recipe=recipe).first()
    if document is None:
        return
    _ensure_doc_ids(recipe)
    new = rows_content(recipe)
    stored = document_stored(recipe_id=recipe.pk)
    assert stored is not None
    base = document.written_content or new
    seqs = _document_change(
        recipe_id=recipe.pk,
        doc=stored.doc(),
        change=lambda doc: schema.apply_changes(doc, base, new),
        user_id=user_id,
        origin="rows",
    )
    RecipeDocument.objects.filter(pk=document.pk).update(written_content=new)
    if seqs is not None:
        first, last = seqs
        RecipeDocument.objects.filter(pk=document.pk, written_seq=first - 1).update(written_seq=last)


def _document_change(
    *, recipe_id: int, doc: Doc, change: Callable[[Doc], None], user_id: int | None, origin: str
) -> tuple[int, int] | None:
    """Make `change` to `doc` (the stored document, read under the caller's locks), store what it
    changed as `user_id`'s updates and publish them to every open editor once the caller's
    transaction commits. Returns their (first, last) seq; None when nothing changed."""
    captured: list[bytes] = []
    subscription = doc.observe(lambda event: captured.append(event.update))
    with doc.transaction(origin=origin):
        change(doc)
    doc.unobserve(subscription)
    if not captured:
        return None
    first, last = _append(recipe_id=recipe_id, updates=[(update, user_id) for update in captured])
    frame = frames.remote_update(first, last, merge_updates(*captured))
    transaction.on_commit(lambda: publish_raw(frames.topic(recipe_id), frame), robust=True)
    return first, last


# -- Versions -----------------------------------------------------------------------------------


def version_save(
    *,
    recipe_id: int,
    reason: str = RecipeVersion.Reason.EDITS,
    by: User | None = None,
    restored_from: RecipeVersion | None = None,
) -> RecipeVersion | None:
    """Keep the stored document as a version (None: the recipe has no document). A version of
    the same seq is not kept twice: the one already there is returned."""
    saved = _version_save(recipe_id=recipe_id, reason=reason, by=by, restored_from=restored_from)
    return saved[0] if saved is not None else None


def _version_save(
    *, recipe_id: int, reason: str, by: User | None, restored_from: RecipeVersion | None
) -> tuple[RecipeVersion, bool] | None:
    stored = document_stored(recipe_id=recipe_id)
    if stored is None:
        return None
    doc = stored.doc()
    with transaction.atomic():
        # Locks in the order every writer takes them, the recipe's row first: a version row's
        # foreign key is checked at commit, with a share lock on the recipe.
        Recipe.objects.select_for_update().filter(pk=recipe_id).exists()
        document = RecipeDocument.objects.select_for_update().get(recipe_id=recipe_id)
        version, created = RecipeVersion.objects.get_or_create(
            recipe_id=recipe_id,
            seq=stored.last_seq,
            defaults={
                "state": doc.get_update(),
                "content": schema.read(doc),
                "reason": reason,
                "by": by,
                "restored_from": restored_from,
            },
        )
        if created:
            since = (
                RecipeVersion.objects.filter(recipe_id=recipe_id, seq__lt=stored.last_seq)
                .order_by("-seq")
                .values_list("seq", flat=True)
                .first()
            ) or 0
            authors = set(document.authors_pending) | set(
                RecipeDocumentUpdate.objects.filter(document=document, user__isnull=False, seq__gt=since)
                .values_list("user_id", flat=True)
                .distinct()
            )
            version.authors.set(User.objects.filter(pk__in=authors))
            RecipeDocument.objects.filter(pk=document.pk).update(authors_pending=[])
    return version, created


def version_save_completed(*, recipe_id: int, by: User | None) -> RecipeVersion | None:
    """Keep the recipe as it was completed (reason COMPLETED; its document built first if nobody opened it).
    Called by the services once per completion, inside it, after the document took the status; a version
    of that seq already kept is not kept again."""
    if document_get_or_build(recipe_id=recipe_id) is None:
        return None
    return version_save(recipe_id=recipe_id, reason=RecipeVersion.Reason.COMPLETED, by=by)


def version_save_by_hand(*, recipe_id: int, by: User) -> tuple[RecipeVersion, bool] | None:
    """The history page's "Save a version now": the document as it is, even a minute after the last.
    Returns (version, whether it is new: False when nothing changed since the newest)."""
    if document_get_or_build(recipe_id=recipe_id) is None:
        return None
    return _version_save(recipe_id=recipe_id, reason=RecipeVersion.Reason.SAVED, by=by, restored_from=None)


def version_restore(*, version: RecipeVersion, by: User | None) -> RecipeVersion | None:
    """Make the recipe's document equal to a saved version again, as a new change that every open
    editor receives live; the rows follow. The state before is kept as a version first, so a
    restore is undone by restoring that one. Returns the new RESTORE version (None: the document
    already equals the version).

    Only what differs from the version is touched (a field it has as now is left alone, with any
    editor's typing in it); an edit in flight at that moment merges on top as any concurrent edit
    does. The status stays as it is: going back to a draft would hide the recipe from every other
    chef and undo a recorded completion."""
    recipe_id = version.recipe_id
    with transaction.atomic():
        # The recipe's row, then the document's: the order every writer takes them in.
        Recipe.objects.select_for_update().filter(pk=recipe_id).exists()
        RecipeDocument.objects.select_for_update().get(recipe_id=recipe_id)
        version_save(recipe_id=recipe_id)  # the state before, unless already kept
        stored = document_stored(recipe_id=recipe_id)
        assert stored is not None
        doc = stored.doc()
        target = _restore_target(version=version.content, current=schema.read(doc))
        seqs = _document_change(
            recipe_id=recipe_id,
            doc=doc,
            change=lambda doc: schema.apply_content(doc, target),
            user_id=by.pk if by is not None else None,
            origin="restore",
        )
        if seqs is None:
            return None
        restored = version_save(recipe_id=recipe_id, reason=RecipeVersion.Reason.RESTORE, by=by, restored_from=version)
    document_write_back(recipe_id=recipe_id)
    return restored


def _restore_target(*, version: Content, current: Content) -> Content:
    """The version's content as the document's next state, with today's status. Lines and steps
    deleted since come back under new ids: an editor's undo may bring the old item back too, and
    two items with one id would not be written back."""
    live = {item["id"] for item in current["lines"]} | {item["id"] for item in current["steps"]}
    lines = [
        LineContent(**{**line, "id": line["id"] if line["id"] in live else schema.new_id()})
        for line in version["lines"]
    ]
    steps = [
        StepContent(**{**step, "id": step["id"] if step["id"] in live else schema.new_id()})
        for step in version["steps"]
    ]
    return Content(
        name=version["name"],
        description=version["description"],
        meta={**version["meta"], "status": current["meta"].get("status")},
        lines=lines,
        steps=steps,
    )


VERSION_EVERY_SECONDS = 10 * 60


def version_save_if_due(*, recipe_id: int) -> RecipeVersion | None:
    """Keep a version after edits, at most one per VERSION_EVERY_SECONDS (the history page's entries)."""
    from datetime import timedelta

    from django.utils import timezone

    newest = RecipeVersion.objects.filter(recipe_id=recipe_id).order_by("-seq").values("seq", "created_at").first()
    last_seq = RecipeDocument.objects.filter(recipe_id=recipe_id).values_list("last_seq", flat=True).first()
    if last_seq is None or (newest is not None and newest["seq"] >= last_seq):
        return None
    if newest is not None and timezone.now() - newest["created_at"] < timedelta(seconds=VERSION_EVERY_SECONDS):
        return None
    return version_save(recipe_id=recipe_id)


def document_control_on_commit(*, recipe_id: int, event: dict[str, Any]) -> None:
    """Tell every process's room of this recipe (deleted; someone's access changed), after commit."""
    import json

    frame = frames.remote_control(json.dumps(event).encode())
    transaction.on_commit(lambda: publish_raw(frames.topic(recipe_id), frame), robust=True)


SWEEP_QUIET_SECONDS = 10  # a document edited more recently is left to its room's own write-back


def documents_behind(*, limit: int = 500) -> list[int]:
    """Recipes whose document holds edits not written back to the rows, or a long log, and that
    nobody has edited for SWEEP_QUIET_SECONDS."""
    from datetime import timedelta

    from django.db.models import Max, Q
    from django.utils import timezone

    quiet = timezone.now() - timedelta(seconds=SWEEP_QUIET_SECONDS)
    return list(
        RecipeDocument.objects.filter(
            Q(last_seq__gt=F("written_seq")) | Q(last_seq__gte=F("snapshot_seq") + settings.COLLAB_COMPACT_EVERY)
        )
        .annotate(newest=Max("updates__created_at"))
        .filter(Q(newest__lt=quiet) | Q(newest__isnull=True))
        .values_list("recipe_id", flat=True)[:limit]
    )


def document_compact_if_due(*, recipe_id: int) -> None:
    row = RecipeDocument.objects.filter(recipe_id=recipe_id).values("last_seq", "snapshot_seq").first()
    if row is not None and row["last_seq"] - row["snapshot_seq"] >= settings.COLLAB_COMPACT_EVERY:
        document_compact(recipe_id=recipe_id)
