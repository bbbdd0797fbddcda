"""schema.org Recipe objects (JSON-LD as recipe sites, Mealie and Tandoor write it, or microdata read by
extruct) found and turned into RecipeDrafts.

Text is cleaned, not refused (imports.text): markup stripped, entities decoded, control and invisible
characters removed. A recipe without a visible name, or with a name longer than a recipe's, is a
RecordError; every other field falls back to its default when it is missing or unreadable.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

import isodate

from imports.ingredients import parse_ingredient_line
from imports.records import LineDraft, RecipeDraft, RecordError
from imports.text import plain_lines, plain_name, plain_text

RECIPE_TYPES = frozenset({"Recipe", "schema:Recipe", "http://schema.org/Recipe", "https://schema.org/Recipe"})
SECTION_TYPES = frozenset({"HowToSection", "ItemList"})
MAX_DEPTH = 32  # how deep recipes are looked for in a JSON-LD document
MAX_STEP_DEPTH = 6  # sections of sections of steps
MAX_NAME_LENGTH = 200  # kitchen.models.Recipe.name
MAX_SERVINGS = 1000
MAX_MINUTES = 7 * 24 * 60  # kitchen.models.Recipe's prep_time constraint
MAX_CATEGORIES = 10
MAX_CATEGORY_LENGTH = 60  # kitchen.models.Category.name
MAX_URL_LENGTH = 2000
MAX_DURATION_LENGTH = 64

_WHOLE_NUMBER = re.compile(r"(?<!\d)(\d{1,6})(?!\d)")


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {item for item in kinds if isinstance(item, str)}


def recipes_from_jsonld(data: object) -> list[dict[str, Any]]:
    """Every Recipe object in a JSON-LD document: itself, in a list, in "@graph" or nested in other nodes."""
    found: list[dict[str, Any]] = []

    def visit(node: object, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(node, dict):
            if _types(node) & RECIPE_TYPES:
                found.append(node)
                return
            for value in node.values():
                visit(value, depth + 1)
        elif isinstance(node, list):
            for item in node:
                visit(item, depth + 1)

    visit(data, 0)
    return found


def _text(value: object) -> str:
    """A property's text: a string or number, {"@value": …}, or the first of a list that has one."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return _text(value.get("@value", value.get("text", value.get("name"))))
    if isinstance(value, list):
        return next((text for item in value[:100] if (text := _text(item))), "")
    return ""


def _servings(value: object) -> int:
    """recipeYield ("4", "4 servings", ["4", "4 portions"], 4) as servings in 1..1000; 1 when unreadable."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, int | float) and not isinstance(item, bool) and math.isfinite(item):
            return min(max(int(item), 1), MAX_SERVINGS)
        if match := _WHOLE_NUMBER.search(_text(item)[:200]):
            return min(max(int(match[1]), 1), MAX_SERVINGS)
    return 1


def _minutes(value: object) -> int | None:
    """An ISO 8601 duration ("PT1H30M") in minutes, or None; a bare number is taken as minutes."""
    text = _text(value).strip()
    if not text or len(text) > MAX_DURATION_LENGTH:
        return None
    if text.isdecimal() and text.isascii():
        return int(text)
    try:
        duration = isodate.parse_duration(text)
    except (ValueError, OverflowError, ArithmeticError, TypeError):
        return None
    if not isinstance(duration, timedelta) or duration < timedelta(0):
        return None  # months and years (isodate.Duration): not a recipe's time
    return round(duration.total_seconds() / 60)


def _prep_time(recipe: dict[str, Any]) -> int:
    """totalTime, else prepTime plus cookTime, in minutes, within a week."""
    total = _minutes(recipe.get("totalTime"))
    if total is None:
        parts = [minutes for key in ("prepTime", "cookTime") if (minutes := _minutes(recipe.get(key))) is not None]
        total = sum(parts)
    return min(total, MAX_MINUTES)


def _ingredients(value: object) -> tuple[list[LineDraft], list[str]]:
    """recipeIngredient read into lines; the sentences that cannot be read are kept as written."""
    lines: list[LineDraft] = []
    unparsed: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        sentence = plain_name(_text(item))
        if not sentence:
            continue
        line = parse_ingredient_line(sentence)
        if line is None:
            unparsed.append(sentence)
        else:
            lines.append(line)
    return lines, unparsed


def _steps(value: object, depth: int = 0) -> list[str]:
    """recipeInstructions (text, a list of texts, HowToSteps, HowToSections of them) as step texts."""
    if depth > MAX_STEP_DEPTH:
        return []
    if isinstance(value, str):
        # One text holds all the steps: a step a line (or a paragraph, or a list item, in HTML).
        return plain_lines(value) if depth == 0 else [text] if (text := plain_text(value)) else []
    if isinstance(value, list):
        return [step for item in value for step in _steps(item, depth + 1)]
    if isinstance(value, dict):
        # A section's name is a heading, not a step; a step is its text, else its name, else its parts.
        if _types(value) & SECTION_TYPES:
            return _steps(value.get("itemListElement"), depth + 1)
        if text := plain_text(_text(value.get("text"))):
            return [text]
        if "itemListElement" in value:
            return _steps(value["itemListElement"], depth + 1)
        return [text] if (text := plain_text(_text(value.get("name")))) else []
    return []


def _categories(*values: object) -> list[str]:
    """recipeCategory and keywords (lists, or comma-separated text) as up to 10 distinct category names."""
    names: list[str] = []
    seen: set[str] = set()
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            for part in _text(item).split(","):
                name = plain_name(part)
                if name and len(name) <= MAX_CATEGORY_LENGTH and name.casefold() not in seen:
                    seen.add(name.casefold())
                    names.append(name)
                    if len(names) == MAX_CATEGORIES:
                        return names
    return names


def draft_from_schema(obj: dict[str, Any], *, source_url: str = "") -> RecipeDraft:
    """A schema.org Recipe as a draft; RecordError when it has no usable name."""
    if not isinstance(obj, dict):
        raise RecordError("recipe", "is not a schema.org Recipe object")
    name = plain_name(_text(obj.get("name")) or _text(obj.get("headline")))
    if not name:
        raise RecordError("name", "the recipe has no name")
    if len(name) > MAX_NAME_LENGTH:
        raise RecordError("name", f"the name has {len(name)} characters; at most {MAX_NAME_LENGTH} fit")
    lines, unparsed = _ingredients(obj.get("recipeIngredient", obj.get("ingredients")))
    url = _text(obj.get("url"))
    if not source_url and url.startswith(("http://", "https://")) and len(url) <= MAX_URL_LENGTH:
        source_url = url
    return RecipeDraft(
        name=name,
        description=plain_text(_text(obj.get("description"))),
        servings=_servings(obj.get("recipeYield")),
        prep_time=_prep_time(obj),
        categories=_categories(obj.get("recipeCategory"), obj.get("keywords")),
        lines=lines,
        steps=_steps(obj.get("recipeInstructions")),
        unparsed=unparsed,
        source_url=source_url,
    )
