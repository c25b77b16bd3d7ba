"""The import as a whole: one transaction (serialised on PostgreSQL), the file read row by row, each order parsed once
its last row has come and written in batches; an order whose rows did not change is skipped.

Parsing in a second process while this one writes was tried and measured (40,000 rows into SQLite: 5.2 s of CPU in
one process; 5.4 s in the reading child plus 3.1 s here with two): pickling the parsed orders through the pipe
costs about what the overlap saves, so the import stays in one process."""

from __future__ import annotations

import csv
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, text

from integrations.local_store.importer.bulk_writes import name_index_filled_at_the_end
from integrations.local_store.importer.columns import Columns
from integrations.local_store.importer.demo_guard import DEMO_IN_DATABASE, demo_fingerprints
from integrations.local_store.importer.errors import ImportFailed
from integrations.local_store.importer.order_parser import OrderParser, ParsedOrder
from integrations.local_store.importer.order_rows import OrderRows, PendingOrder
from integrations.local_store.importer.progress import ImportSummary, Progress
from integrations.local_store.importer.source import ImportSource, open_source, read_errors, read_header, without_nul
from integrations.local_store.importer.tables import ORDERS
from integrations.local_store.importer.writer import OrderWriter
from storage.db import Database

PROGRESS_EVERY = 5_000  # rows between progress calls
# Serialises imports on PostgreSQL (SQLite already serialises writers): two imports of the same file at
# once would otherwise both insert the same new orders.
_PG_IMPORT_LOCK = 0x52424F49  # "RBOI"

Existing = dict[str, tuple[int, str]]  # order name -> (id, content hash) of the orders already stored


def import_orders(
    db: Database,
    source: ImportSource,
    *,
    progress: Progress | None = None,
    alongside_demo: bool = False,
    region: str = "FI",
) -> ImportSummary:
    """Import a Shopify orders export: a path, a text or binary stream, or an iterable of lines.

    Refused (ImportFailed) when the database holds the demo orders and the file has other orders, unless
    `alongside_demo` (tests that add orders beside the demo ones on purpose). Phone numbers whose address
    names no country are read as numbers of `region` (SHOP_COUNTRY)."""
    with open_source(source) as (lines, bytes_read), _cyclic_gc_paused():
        reader = csv.reader(without_nul(lines), strict=True)
        with read_errors(reader):
            header, header_line = read_header(reader)
            columns = Columns(header, header_line)
            with db.session(write=True) as session:
                conn = session.connection()
                existing, only_demo = _prepare(conn, alongside_demo)
                writer = OrderWriter(conn, ImportSummary())
                reading = Reading(columns, existing, only_demo, region, deliver=writer.add, summary=writer.summary)
                with name_index_filled_at_the_end(conn, writer.written, writer.left_emails):
                    reading.run(reader, header_line, progress, bytes_read, PROGRESS_EVERY)
                    writer.flush()
                return writer.summary


def _prepare(conn: Connection, alongside_demo: bool) -> tuple[Existing, dict[str, str] | None]:
    """Within the import's transaction: the orders already stored, and the demo's fingerprints when only the
    demo's own orders may join them (seeding twice at once; re-importing the demo file)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_IMPORT_LOCK})
    existing: Existing = {
        name: (order_id, content_hash)
        for name, order_id, content_hash in conn.execute(select(ORDERS.c.name, ORDERS.c.id, ORDERS.c.content_hash))
    }
    demo = demo_fingerprints()
    holds_demo = any(demo.get(name) == content_hash for name, (_id, content_hash) in existing.items())
    return existing, (demo if holds_demo and not alongside_demo else None)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """An import makes millions of small dicts and lists, none of them in a reference cycle, and keeps a
    batch of them alive: the cycle collector would rescan that batch again and again (measured: 10-20% of
    the import's time). The collector is process-wide, so it is paused for the process while this runs."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Reading:
    """Reads rows, groups them into orders, skips the unchanged ones and parses the rest, handing each parsed order
    to `deliver` (with how many rows it had); counts rows, skipped rows and unchanged orders in `summary`."""

    def __init__(
        self,
        columns: Columns,
        existing: Existing,
        only_demo: dict[str, str] | None,
        region: str,
        *,
        deliver: Callable[[ParsedOrder, int], None],
        summary: ImportSummary,
    ) -> None:
        self.parser = OrderParser(columns, datetime.now(UTC), region)
        self.existing = existing
        self.only_demo = only_demo
        self.deliver = deliver
        self.summary = summary
        self.rows = OrderRows(columns, self._finish)

    def run(
        self,
        reader: Any,
        header_line: int,
        progress: Progress | None,
        bytes_read: Callable[[], int] | None,
        progress_every: int,
    ) -> None:
        summary = self.summary
        previous_end = header_line
        for raw in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            summary.rows += 1
            if not any(raw) or not any(cell.strip() for cell in raw):
                summary.skipped_rows.append((line, "empty line" if not raw else "empty row"))
            else:
                self.rows.take(line, raw)
            if progress is not None and summary.rows % progress_every == 0:
                progress(summary.rows, bytes_read() if bytes_read else None)
        self.rows.end()
        if progress is not None:
            progress(summary.rows, bytes_read() if bytes_read else None)

    def _finish(self, pending: PendingOrder) -> None:
        content_hash = pending.digest.hexdigest()
        if self.only_demo is not None and self.only_demo.get(pending.name) != content_hash:
            raise ImportFailed(DEMO_IN_DATABASE)
        known = self.existing.get(pending.name)
        if known is not None and known[1] == content_hash:
            self.summary.orders_unchanged += 1
            return
        parsed = self.parser.parse(pending, content_hash)
        if known is not None:
            parsed.order_id = known[0]
        self.deliver(parsed, len(pending.rows))
