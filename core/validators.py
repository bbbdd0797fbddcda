"""What text Brigade stores: one rule for names, one for free text, shared by the API, forms and sockets.

Names (recipes, rooms, people, tokens) are one line that must be visible: they are trimmed, and
refused if they hold a character of Unicode category
- Cc (control characters: NUL, escape, tab, newline, DEL, the C1 range),
- Cs (a lone surrogate, e.g. a JSON "\\ud83d" without its pair: no database can store it),
- Co (private use: no agreed glyph),
- Cn (unassigned in this Python's Unicode database; the newest emoji may be refused until
  Python knows them),
- Cf (format: zero-width spaces, bidirectional overrides that make a name read differently from
  what it is, soft hyphens, byte-order marks) except the joiners U+200C/U+200D (Persian, Indic
  scripts and emoji sequences such as 👩‍🍳) and the emoji tag characters U+E0020 to U+E007F
  (subdivision flags),
- Zl, Zp (line and paragraph separators),
or if nothing in them is a letter, digit, punctuation mark or symbol (a name of joiners,
combining marks or spaces only).

Free text (descriptions, steps, notes, chat messages) may span lines: CR LF and CR become LF, tab
and LF are kept, and any other control character (Cc) or a lone surrogate (Cs) is refused.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

NAME_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Cf", "Zl", "Zp"})
NAME_ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"} | {chr(c) for c in range(0xE0020, 0xE0080)})
VISIBLE_CATEGORY_PREFIXES = ("L", "N", "P", "S")
# Cc is U+0000-U+001F and U+007F-U+009F; Cs is U+D800-U+DFFF. A regex keeps a chat message's check cheap.
TEXT_REFUSED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def clean_name(value: str) -> str:
    """The name trimmed; ValidationError if it is blank or holds an invisible or control character."""
    if not isinstance(value, str):
        raise ValidationError("Enter a name.", code="invalid")
    name = value.strip()
    if not name:
        raise ValidationError("Enter a name.", code="blank")
    if name.isascii() and name.isprintable():
        return name  # the common case, at once: printable ASCII, and not blank, so something visible
    for char in name:
        if unicodedata.category(char) in NAME_REFUSED_CATEGORIES and char not in NAME_ALLOWED_FORMAT:
            raise ValidationError(
                "A name cannot contain control, invisible or unassigned characters (found %(char)s).",
                code="invalid_character",
                params={"char": _describe(char)},
            )
    if not any(unicodedata.category(char).startswith(VISIBLE_CATEGORY_PREFIXES) for char in name):
        raise ValidationError("A name needs at least one visible letter, digit or symbol.", code="invisible")
    return name


def validate_name(value: str) -> None:
    """clean_name as a Django field validator (model fields, so the admin's forms get it too)."""
    clean_name(value)


def clean_text(value: str) -> str:
    """Free text with line breaks normalised to LF; ValidationError on control characters or lone surrogates."""
    if not isinstance(value, str):
        raise ValidationError("Enter text.", code="invalid")
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    refused = TEXT_REFUSED.search(text)
    if refused:
        raise ValidationError(
            "Text cannot contain control characters or lone surrogates (found %(char)s).",
            code="invalid_character",
            params={"char": _describe(refused.group())},
        )
    return text


def validate_text(value: str) -> None:
    """clean_text as a Django field validator."""
    clean_text(value)
