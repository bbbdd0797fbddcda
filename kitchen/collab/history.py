"""A recipe's saved versions, each compared with the recipe as it is now: the history page's reads.

The comparison goes from the version to now: text the version had and the recipe no longer has
is "removed", text written since is "added". Lines and steps are matched by their document id,
so a line edited keeps being the same line, and a line moved is told apart from one replaced.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth.models import User
from django.db.models import Prefetch

from kitchen.collab import schema, store
from kitchen.collab.schema import Content
from kitchen.models import Category, Recipe, RecipeVersion
from kitchen.selectors import Page, page_bounds

VERSIONS_PER_PAGE = 20
CONTEXT_CHARS = 120  # unchanged text kept on each side of a change; longer runs are shortened

# Every character is whitespace, part of a word, or a sign of its own: a diff by words that
# still shows a changed comma.
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
# Sentences and lines, each with its end: most edits leave most of them as they were.
_SENTENCES = re.compile(r"[^\n.!?]*(?:[.!?]+|\n|$)")
# Words compared at once (before x after, in the part that changed): about 30 ms at most.
WORDS_COMPARED_MAX = 250_000

TextKind = Literal["same", "added", "removed", "gap"]


@dataclass(frozen=True)
class TextPart:
    kind: TextKind
    text: str


@dataclass(frozen=True)
class FieldChange:
    key: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ItemChange:
    """A line or step that differs: added since the version, removed since, changed or moved."""

    kind: Literal["added", "removed", "changed", "moved"]
    text: str  # as it reads now (as it read in the version, when removed)
    fields: tuple[FieldChange, ...] = ()  # a line's changed fields
    parts: tuple[TextPart, ...] = ()  # a step's text, changed
    moved: bool = False


@dataclass(frozen=True)
class ContentDiff:
    name: tuple[TextPart, ...]
    description: tuple[TextPart, ...]
    meta: tuple[FieldChange, ...]
    lines: tuple[ItemChange, ...]
    steps: tuple[ItemChange, ...]

    @property
    def unchanged(self) -> bool:
        return not (self.name or self.description or self.meta or self.lines or self.steps)

    @property
    def restorable(self) -> bool:
        """Whether restoring the version would change anything (a restore keeps the status)."""
        meta = any(change.key != "status" for change in self.meta)
        return bool(self.name or self.description or meta or self.lines or self.steps)


def text_diff(before: str, after: str, *, context: int = CONTEXT_CHARS) -> tuple[TextPart, ...]:
    """How `before` became `after`: sentence by sentence, then word by word inside the sentences
    that changed (empty when they are equal). Long unchanged runs are cut to `context` characters
    beside each change (a "gap" part marks the cut)."""
    if before == after:
        return ()
    old, new = _sentences(before), _sentences(after)
    parts: list[TextPart] = []
    for operation, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if operation == "equal":
            parts.append(TextPart("same", "".join(old[i1:i2])))
        else:
            parts.extend(_words_diff("".join(old[i1:i2]), "".join(new[j1:j2])))
    return _shortened(_joined(parts), context)


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCES.findall(text) if sentence]


def _words_diff(before: str, after: str) -> list[TextPart]:
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    # The common start and end first: SequenceMatcher is quadratic in what remains.
    limit = min(len(old), len(new))
    start = 0
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    old_middle, new_middle = old[start : len(old) - end], new[start : len(new) - end]
    parts = [TextPart("same", "".join(old[:start]))]
    if len(old_middle) * len(new_middle) > WORDS_COMPARED_MAX:  # a rewrite: shown as one
        parts += [TextPart("removed", "".join(old_middle)), TextPart("added", "".join(new_middle))]
    else:
        # No autojunk: it would skip common words (and spaces) as anchors, and garble the result.
        matcher = difflib.SequenceMatcher(None, old_middle, new_middle, autojunk=False)
        for operation, i1, i2, j1, j2 in matcher.get_opcodes():
            if operation == "equal":
                parts.append(TextPart("same", "".join(old_middle[i1:i2])))
            else:
                parts.append(TextPart("removed", "".join(old_middle[i1:i2])))
                parts.append(TextPart("added", "".join(new_middle[j1:j2])))
    parts.append(TextPart("same", "".join(old[len(old) - end :])))
    return parts


def _joined(parts: list[TextPart]) -> list[TextPart]:
    """Empty parts dropped, neighbours of one kind joined."""
    joined: list[TextPart] = []
    for part in parts:
        if not part.text:
            continue
        if joined and joined[-1].kind == part.kind:
            joined[-1] = TextPart(part.kind, joined[-1].text + part.text)
        else:
            joined.append(part)
    return joined


def _shortened(parts: list[TextPart], context: int) -> tuple[TextPart, ...]:
    shortened: list[TextPart] = []
    for index, part in enumerate(parts):
        keep_head = index > 0  # text right after a change
        keep_tail = index < len(parts) - 1  # text right before one
        if part.kind != "same" or len(part.text) <= context * (keep_head + keep_tail) + 20:
            shortened.append(part)
            continue
        if keep_head:
            shortened.append(TextPart("same", part.text[:context]))
        shortened.append(TextPart("gap", "…"))
        if keep_tail:
            shortened.append(TextPart("same", part.text[-context:]))
    return tuple(shortened)


META_LABELS = {
    "servings": "Servings",
    "prep_time": "Preparation time",
    "difficulty": "Difficulty",
    "status": "Status",
    "categories": "Categories",
}
LINE_LABELS = {"ingredient": "ingredient", "quantity": "quantity", "unit": "unit", "note": "note"}


def _meta_text(key: str, value: Any, category_names: Mapping[int, str]) -> str:
    if value is None or value == "":
        return "—"
    if key == "categories":
        names = sorted(category_names.get(pk, f"(deleted category {pk})") for pk in value)
        return ", ".join(names) if names else "none"
    if key == "prep_time":
        return f"{value} min"
    if key == "difficulty" and value in Recipe.Difficulty.values:
        return str(Recipe.Difficulty(value).label)
    if key == "status" and value in Recipe.Status.values:
        return str(Recipe.Status(value).label)
    return str(value)


def _meta_diff(before: Mapping[str, Any], after: Mapping[str, Any], names: Mapping[int, str]) -> list[FieldChange]:
    changes = []
    for key, label in META_LABELS.items():
        old, new = before.get(key), after.get(key)
        if key == "categories":
            old, new = sorted(old or []), sorted(new or [])
        if old != new:
            changes.append(FieldChange(key, label, _meta_text(key, old, names), _meta_text(key, new, names)))
    return changes


def _items_diff(
    before: Sequence[Mapping[str, Any]],
    after: Sequence[Mapping[str, Any]],
    *,
    describe: Callable[[Any], str],
    compare: Callable[[Any, Any], ItemChange | None],
) -> list[ItemChange]:
    """Lines or steps matched by id, in the order of now with removed ones where they were. An item
    whose place among the others changed is "moved" (the fewest that explain the new order)."""
    old_ids, new_ids = [item["id"] for item in before], [item["id"] for item in after]
    old_by, new_by = {item["id"]: item for item in before}, {item["id"]: item for item in after}
    matcher = difflib.SequenceMatcher(None, old_ids, new_ids, autojunk=False)
    changes: list[ItemChange] = []
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        for item_id in old_ids[i1:i2] if operation != "equal" else ():
            if item_id not in new_by:
                changes.append(ItemChange("removed", describe(old_by[item_id])))
        for item_id in new_ids[j1:j2]:
            moved = operation != "equal" and item_id in old_by
            if item_id not in old_by:
                changes.append(ItemChange("added", describe(new_by[item_id])))
                continue
            change = compare(old_by[item_id], new_by[item_id])
            if change is not None:
                changes.append(ItemChange(change.kind, change.text, change.fields, change.parts, moved=moved))
            elif moved:
                changes.append(ItemChange("moved", describe(new_by[item_id]), moved=True))
    return changes


def _line_change(old: schema.LineContent, new: schema.LineContent) -> ItemChange | None:
    fields = tuple(
        FieldChange(key, label, old[key] or "—", new[key] or "—")  # type: ignore[literal-required]
        for key, label in LINE_LABELS.items()
        if old[key] != new[key]  # type: ignore[literal-required]
    )
    return ItemChange("changed", store.line_text(new), fields=fields) if fields else None


def _step_change(old: schema.StepContent, new: schema.StepContent) -> ItemChange | None:
    parts = text_diff(old["text"], new["text"])
    return ItemChange("changed", new["text"], parts=parts) if parts else None


def content_diff(*, before: Content, after: Content, category_names: Mapping[int, str]) -> ContentDiff:
    """What changed from `before` (a version) to `after` (the recipe now), as a chef reads it."""
    return ContentDiff(
        name=text_diff(before["name"], after["name"]),
        description=text_diff(before["description"], after["description"]),
        meta=tuple(_meta_diff(before["meta"], after["meta"], category_names)),
        lines=tuple(_items_diff(before["lines"], after["lines"], describe=store.line_text, compare=_line_change)),
        steps=tuple(
            _items_diff(before["steps"], after["steps"], describe=lambda step: step["text"], compare=_step_change)
        ),
    )


@dataclass(frozen=True)
class VersionEntry:
    version: RecipeVersion
    diff: ContentDiff
    editors: list[User]  # who edited since the version before, but the one who saved or restored this one


def recipe_history(*, recipe_id: int, number: int = 1, per_page: int = VERSIONS_PER_PAGE) -> Page[VersionEntry]:
    """One page of the recipe's versions, newest first, each compared with the stored document's
    content now (what editors see, written back or not). The caller has checked access."""
    versions = RecipeVersion.objects.filter(recipe_id=recipe_id)
    count = versions.count()
    number, pages, start = page_bounds(count=count, number=number, per_page=per_page)
    stored = store.document_stored(recipe_id=recipe_id) if count else None
    if stored is None:  # no document: no version was ever kept
        return Page(items=[], number=1, pages=1, count=0)
    page = list(
        versions.order_by("-seq")
        .select_related("by", "restored_from")
        .defer("state", "restored_from__state", "restored_from__content")
        .prefetch_related(Prefetch("authors", queryset=User.objects.order_by("username")))[start : start + per_page]
    )
    current = schema.read(stored.doc())
    category_ids = set(current["meta"].get("categories") or [])
    for version in page:
        category_ids.update(version.content["meta"].get("categories") or [])
    names = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "name"))
    entries = [
        VersionEntry(
            version,
            content_diff(before=version.content, after=current, category_names=names),
            editors=[author for author in version.authors.all() if author.pk != version.by_id],
        )
        for version in page
    ]
    return Page(items=entries, number=number, pages=pages, count=count)


def versions_newest(*, recipe_id: int, limit: int) -> list[RecipeVersion]:
    """The recipe's newest versions, without their content (the editor's History panel)."""
    return list(
        RecipeVersion.objects.filter(recipe_id=recipe_id)
        .order_by("-seq")
        .select_related("by")
        .defer("state", "content")[:limit]
    )
