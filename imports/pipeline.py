"""One import pipeline for any record type: a parser streams records, a writer checks and writes
them in batches; the job's progress is the cursor, committed with each batch.

    parser: an Importer's `count(file)` and `records(file)`; records are (key, value) pairs
            where value is the parsed record or a RecordError (a bad one).
    writer: `check(value) -> clean`, raising RecordError; `write(batch) -> created` for a
            batch of (key, clean) pairs, inside the batch's transaction, skipping keys that
            were already written (its idempotency key per record); `finish()` at the end.

A resumed or redelivered run skips the records before the committed cursor, and the writer's
keys catch anything else, so every record is imported exactly once. Progress, the per-record
error report ("record, field, message") and the cursor go to the Job.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Generic, Protocol, TypeVar

from django.db import transaction

from imports.records import RecordError
from jobs.progress import Progress

Clean = TypeVar("Clean")


class Importer(Protocol):
    def count(self, stream: BinaryIO) -> int:
        """How many records the file holds (a fast first pass that also finds file-wide problems)."""

    def records(self, stream: BinaryIO) -> Iterator[tuple[str, Any]]:
        """(key, record or RecordError), in file order, keys unique within the file."""


class Writer(Protocol, Generic[Clean]):
    def check(self, record: Any) -> Clean: ...

    def write(self, batch: list[tuple[str, Clean]]) -> int: ...

    def finish(self) -> None:
        """After the last batch (e.g. let precomputed views see the new rows)."""


@dataclass
class Outcome:
    records: int = 0
    created: int = 0
    already: int = 0
    failed: int = 0
    keys: list[str] = field(default_factory=list)  # the first few imported, for links on the page

    def as_result(self) -> dict[str, Any]:
        return {"records": self.records, "imported": self.created, "skipped_as_already_imported": self.already,
                "failed": self.failed}  # fmt: skip


_END = object()


def ahead(produce: Callable[[], Iterator[Any]], *, depth: int) -> Iterator[Any]:
    """Run `produce` in a thread, up to `depth` items ahead of the consumer: parsing and checking the
    next batch overlaps with the database writing this one (psycopg and sqlite3 release the GIL
    while they wait). An exception in the thread is raised here; stopping early stops the thread."""
    items: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def run() -> None:
        try:
            for item in produce():
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((_END, None))
        except BaseException as error:  # handed to the consumer, which raises it
            items.put((_END, error))

    thread = threading.Thread(target=run, name="import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def run_pipeline(
    *, open_file: Any, importer: Importer, writer: Writer[Any], progress: Progress, batch_size: int
) -> Outcome:
    """Import every record of the file from the job's cursor on; returns what happened."""
    with open_file() as stream:
        total = importer.count(stream)
    start = progress.done
    progress(start, total)
    outcome = Outcome(records=total, failed=progress.error_count)
    batch: list[tuple[str, Any]] = []
    position = flushed = start

    def flush() -> None:
        nonlocal flushed
        with transaction.atomic():
            written = writer.write(batch) if batch else 0
            progress.checkpoint(position, total)
        outcome.created += written
        outcome.already += len(batch) - written
        flushed = position
        batch.clear()

    def checked() -> Iterator[tuple[int, str, Any]]:
        """(number, key, clean record or RecordError) from the cursor on, read and checked."""
        with open_file() as stream:
            for number, (key, record) in enumerate(importer.records(stream), start=1):
                if number <= start:
                    continue  # written by an earlier run of this job
                try:
                    if isinstance(record, RecordError):
                        raise record
                    yield number, key, writer.check(record)
                except RecordError as error:
                    yield number, key, error

    for number, key, clean in ahead(checked, depth=2 * batch_size):
        position = number
        if isinstance(clean, RecordError):
            progress.error(item=key, field=clean.field, message=clean.message)
            outcome.failed += 1
        else:
            batch.append((key, clean))
        if len(batch) >= batch_size or position - flushed >= batch_size:
            flush()
    position = max(position, start)
    flush()  # the last batch, and the cursor at the end (also when only bad records were left)
    writer.finish()
    return outcome
