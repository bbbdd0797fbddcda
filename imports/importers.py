"""Which importer reads which format; the small formats (JSON-LD, pages) are read whole, within
the upload or fetch size limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from imports.formats import CsvImporter, JsonImporter, json_loads_bounded
from imports.records import FileError, RecipeDraft, RecordError


class _WholeFileImporter:
    def drafts(self, stream: BinaryIO) -> list[RecipeDraft | RecordError]:
        raise NotImplementedError

    def count(self, stream: BinaryIO) -> int:
        return len(self.drafts(stream))

    def records(self, stream: BinaryIO) -> Iterator[tuple[str, Any]]:
        for number, draft in enumerate(self.drafts(stream), start=1):
            yield f"#{number}", draft


class JsonLdImporter(_WholeFileImporter):
    """schema.org Recipe objects (Mealie's and Tandoor's exports, a page's JSON-LD): one, a list, an @graph."""

    def drafts(self, stream: BinaryIO) -> list[RecipeDraft | RecordError]:
        from imports.schema_org import draft_from_schema, recipes_from_jsonld

        found = recipes_from_jsonld(json_loads_bounded(stream.read()))
        if not found:
            raise FileError("no schema.org Recipe in this JSON-LD")
        drafts: list[RecipeDraft | RecordError] = []
        for obj in found:
            try:
                drafts.append(draft_from_schema(obj))
            except RecordError as error:
                drafts.append(error)
        return drafts


class PageImporter(_WholeFileImporter):
    """A recipe page fetched by URL, kept as a file: its recipes as recipe-scrapers or its JSON-LD read them."""

    def __init__(self, *, url: str) -> None:
        self.url = url

    def drafts(self, stream: BinaryIO) -> list[RecipeDraft | RecordError]:
        from imports.web import FetchError, recipes_from_page

        try:
            return list(recipes_from_page(stream.read(), url=self.url, content_type="text/html"))
        except FetchError as error:
            raise FileError(error.message) from None


def importer_for(*, format: str, url: str = "") -> Any:
    if format == "csv":
        return CsvImporter()
    if format == "json":
        return JsonImporter()
    if format == "jsonld":
        return JsonLdImporter()
    if format == "html":
        return PageImporter(url=url)
    raise FileError(f"unknown import format {format!r}")
