"""Import speed: a Shopify orders export into a fresh local store, SQLite and PostgreSQL.

A generated export of 200,000 rows (`--quick`: 20,000) is written once to `bench/out/` and kept. It is
imported through `import_orders` into a fresh SQLite file, then again (every order unchanged, so the
import only reads and hashes), and into a fresh schema of the PostgreSQL database
`returnbot_bench_import`. The baseline, in the same run, is reading the same file with `csv.reader`
alone: the import's cost beyond it is grouping, checking, converting and writing.
"""

from __future__ import annotations

import csv
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import orders_gen
from bench.pg import database_ready
from bench.report import ratio, table
from integrations.local_store.importer import ImportSummary, import_orders
from storage.db import Database, make_engine
from storage.migrate import upgrade

OUT = Path(__file__).with_name("out")
PG_URL = make_url(
    os.environ.get("RETURNBOT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/returnbot_bench")
).set(database="returnbot_bench_import")

ROWS = 200_000
QUICK_ROWS = 20_000
PARSE_RUNS = 3  # the baseline is cheap: its median of three
TARGET_ROWS_PER_SECOND = 20_000  # into a fresh store, SQLite and PostgreSQL alike


def run(quick: bool) -> None:
    export = _export(QUICK_ROWS if quick else ROWS)
    parse = statistics.median(_parse(export) for _ in range(PARSE_RUNS))

    sqlite_path = OUT / "import-speed.sqlite3"
    _remove_sqlite(sqlite_path)
    db = Database(make_engine(f"sqlite:///{sqlite_path}"))
    try:
        upgrade(db.engine)
        fresh = _import(db, export)
        again = _import(db, export)
    finally:
        db.dispose()
        _remove_sqlite(sqlite_path)
    if fresh.summary.orders_created != fresh.summary.orders or again.summary.orders_unchanged != again.summary.orders:
        raise RuntimeError(f"unexpected imports: {fresh.summary.describe()} / {again.summary.describe()}")

    results = [("SQLite, fresh", fresh), ("SQLite, again (all unchanged)", again)]
    pg = _postgres(export)
    if pg is not None:
        results.append(("PostgreSQL, fresh", pg))

    rows = fresh.summary.rows
    lines = [("csv.reader only (baseline)", f"{parse:.2f}", f"{rows / parse:,.0f}", "", "1.00×")]
    lines += [
        (
            label,
            f"{r.seconds:.2f}",
            f"{r.summary.rows / r.seconds:,.0f}",
            f"{r.summary.orders / r.seconds:,.0f}",
            ratio(r.seconds, parse),
        )
        for label, r in results
    ]
    title = f"Import of a Shopify orders export: {rows:,} rows, {fresh.summary.orders:,} orders ({export.name})"
    print(table(title, ("import", "seconds", "rows/s", "orders/s", "time ÷ csv.reader time"), lines))
    for label, result in (("SQLite", fresh), ("PostgreSQL", pg)):
        if result is None:
            continue
        speed = rows / result.seconds
        verdict = "met" if speed >= TARGET_ROWS_PER_SECOND else f"NOT met ({speed:,.0f} rows/s)"
        print(f"Target: ≥ {TARGET_ROWS_PER_SECOND:,} rows/s into a fresh {label} store: {verdict}")


@dataclass(frozen=True)
class _Result:
    summary: ImportSummary
    seconds: float


def _export(rows: int) -> Path:
    path = OUT / f"import-orders-v{orders_gen.VERSION}-{rows}rows.csv"
    if path.exists():
        print(f"reusing {path}", flush=True)
    else:
        written = orders_gen.write_export(path, rows=rows)
        print(f"generated {path} ({written.orders:,} orders) in {written.seconds:.1f} s", flush=True)
    return path


def _parse(path: Path) -> float:
    started = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for _row in csv.reader(handle):
            pass
    return time.perf_counter() - started


def _import(db: Database, path: Path) -> _Result:
    started = time.perf_counter()
    summary = import_orders(db, path)
    return _Result(summary, time.perf_counter() - started)


def _remove_sqlite(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def _postgres(path: Path) -> _Result | None:
    if not database_ready(PG_URL):
        return None
    db = Database(make_engine(PG_URL))
    try:
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(db.engine)
        return _import(db, path)
    finally:
        db.dispose()
