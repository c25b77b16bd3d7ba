"""The import as a whole: one transaction (serialised on PostgreSQL), the file read row by row, each order parsed once
its last row has come and written in batches; an order whose rows did not change is skipped."""

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
from integrations.local_store.importer.order_parser import OrderParser
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
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_IMPORT_LOCK})
                importer = _Importer(conn, columns, refuse_beside_demo=not alongside_demo, region=region)
                importer.run(reader, header_line, progress, bytes_read)
                return importer.summary


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


class _Importer:
    """Reads rows, groups them into orders, and writes them in batches, all in the caller's transaction."""

    def __init__(
        self, conn: Connection, columns: Columns, *, refuse_beside_demo: bool = True, region: str = "FI"
    ) -> None:
        self.conn = conn
        self.parser = OrderParser(columns, datetime.now(UTC), region)
        self.summary = ImportSummary()
        self.existing: dict[str, tuple[int, str]] = {
            name: (order_id, content_hash)
            for name, order_id, content_hash in conn.execute(select(ORDERS.c.name, ORDERS.c.id, ORDERS.c.content_hash))
        }
        demo = demo_fingerprints()
        holds_demo = any(demo.get(name) == content_hash for name, (_id, content_hash) in self.existing.items())
        # only the demo's own orders may join them (seeding twice at once; re-importing the demo file)
        self.only_demo = demo if holds_demo and refuse_beside_demo else None
        self.rows = OrderRows(columns, self._finish)
        self.writer = OrderWriter(conn, self.summary)

    def run(
        self, reader: Any, header_line: int, progress: Progress | None, bytes_read: Callable[[], int] | None
    ) -> None:
        summary = self.summary
        previous_end = header_line
        with name_index_filled_at_the_end(self.conn, self.writer.written):
            for raw in reader:
                line = previous_end + 1
                previous_end = reader.line_num
                summary.rows += 1
                if not any(raw) or not any(cell.strip() for cell in raw):
                    summary.skipped_rows.append((line, "empty line" if not raw else "empty row"))
                else:
                    self.rows.take(line, raw)
                if progress is not None and summary.rows % PROGRESS_EVERY == 0:
                    progress(summary.rows, bytes_read() if bytes_read else None)
            self.rows.end()
            self.writer.flush()
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
        self.writer.add(parsed, len(pending.rows))
