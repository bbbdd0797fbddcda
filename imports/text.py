"""Text from other people's pages made to fit Brigade's rules (core.validators): markup and entities
become plain text, and the characters those rules refuse are removed, not refused, because a soft
hyphen or a zero-width space in a recipe site's title is noise, not an attack worth a failed import."""

from __future__ import annotations

import re
import unicodedata

import html_text
from django.core.exceptions import ValidationError

from core.validators import NAME_ALLOWED_FORMAT, NAME_REFUSED_CATEGORIES, TEXT_REFUSED, clean_name, clean_text

_SPACES = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _without_refused(value: str) -> str:
    """value with every character a name may not hold removed (whitespace controls become spaces)."""
    return "".join(
        " " if char in "\t\n\r" else char
        for char in value
        if unicodedata.category(char) not in NAME_REFUSED_CATEGORIES or char in NAME_ALLOWED_FORMAT or char in "\t\n\r"
    )


def _markup_to_text(value: str) -> str:
    """Tags stripped (block elements and <br> become line breaks), entities decoded."""
    # lxml needs text it can encode: lone surrogates and control characters go first (LF stays).
    value = TEXT_REFUSED.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if "<" not in value and "&" not in value:
        return value
    # html_text joins lines as a browser would; a line break in a plain-text field means a new line.
    text = html_text.extract_text(value.replace("\n", "<br>"), guess_layout=True)
    return TEXT_REFUSED.sub("", text)


def visible_line(value: str) -> str:
    """One line of visible text: refused characters removed, runs of whitespace made one space."""
    return _SPACES.sub(" ", _without_refused(value)).strip()


def plain_name(value: str) -> str:
    """A name from markup, passing core.validators.clean_name; "" when nothing visible is left."""
    try:
        return clean_name(visible_line(_markup_to_text(value)))
    except ValidationError:
        return ""


def plain_lines(value: str) -> list[str]:
    """Free text from markup as its non-blank lines, each trimmed and passing clean_text."""
    lines = (_LINE_SPACES.sub(" ", line).strip() for line in _markup_to_text(value).split("\n"))
    return [clean_text(line) for line in lines if line]


def plain_text(value: str) -> str:
    """Free text from markup: paragraphs kept, blank-line runs and trailing spaces trimmed."""
    text = "\n".join(_LINE_SPACES.sub(" ", line).strip() for line in _markup_to_text(value).split("\n"))
    return clean_text(_BLANK_LINES.sub("\n\n", text).strip())
