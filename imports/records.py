"""What every recipe source (CSV, JSON, JSON-LD, a web page) is turned into before it is checked
and written: one plain record per recipe, with its ingredient lines named, not yet matched."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class LineDraft:
    ingredient: str  # a name, matched (case-insensitively) or created at import
    quantity: Decimal
    unit: str  # one of kitchen.models.Unit's values
    note: str = ""


@dataclass
class RecipeDraft:
    name: str
    description: str = ""
    servings: int = 1
    prep_time: int = 0  # minutes
    difficulty: str = "medium"
    status: str = "draft"
    categories: list[str] = field(default_factory=list)  # category names
    lines: list[LineDraft] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    # Ingredient sentences that could not be parsed into quantity, unit and ingredient: kept verbatim.
    unparsed: list[str] = field(default_factory=list)
    source_url: str = ""


class RecordError(Exception):
    """One recipe (or file, or URL) that cannot be imported: which field, and why, in words for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
