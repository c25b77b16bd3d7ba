"""Order search latency on a big local store, SQLite and PostgreSQL.

1,000,000 generated orders (`--quick`: 50,000; with gift orders, phone numbers written every way, orders
without e-mail and orders without a name, see bench/orders_gen.py) are loaded through the real importer, then
each kind of query an agent types (number, e-mail, full and partial name, a gift's ship-to name, phone
number, tracking number, a name that matches nothing) is timed through `LocalStore.find_orders` (what `/order`
runs), plus the whole `look_up()` (search + order detail) for an order number. The baseline, timed in the
same run through the same engine and session path, is a primary-key lookup `select * from orders where id =
:id`: a kind whose p95 is close to it costs little beyond the fixed per-query overhead.

Building the databases takes a while (1,000,000 orders: minutes on SQLite, longer on PostgreSQL), so
they are kept: `bench/out/search-v<generator version>-<orders>.sqlite3`, and the PostgreSQL database
`returnbot_bench`, whose comment records what it holds (one size at a time: a `--quick` run replaces
the full one). They are reused when they hold the expected number of orders from the same generator
version (and brought up to the newest migration); set RETURNBOT_BENCH_REBUILD=1 to build them again. After
loading or migrating PostgreSQL the benchmark runs VACUUM ANALYZE, as autovacuum would soon after a big import.
RETURNBOT_BENCH_PG_URL overrides the PostgreSQL URL; when PostgreSQL is not reachable it is skipped.
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import orders_gen
from bench.pg import database_ready
from bench.report import ms, percentile, ratio, table
from commands.lookup import PICK_LIST_SIZE, look_up, parse_query
from commands.services import Services
from domain.orders import OrderQuery
from integrations.local_store.importer import import_orders
from integrations.local_store.store import LocalStore
from storage.db import Database, make_engine
from storage.migrate import upgrade

OUT = Path(__file__).with_name("out")
PG_URL = os.environ.get("RETURNBOT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/returnbot_bench")
REBUILD = os.environ.get("RETURNBOT_BENCH_REBUILD", "") not in ("", "0")

ORDERS = 1_000_000
QUICK_ORDERS = 50_000
QUERIES = 300  # timed queries per kind
WARMUP = 30  # untimed queries per kind first (different targets)
TARGET_P95 = 0.005  # seconds, every kind
LIMIT = PICK_LIST_SIZE + 1  # what look_up asks find_orders for

BASELINE = "PK lookup (baseline)"
LOOK_UP = "look_up() by number (find + detail)"


def run(quick: bool) -> None:
    orders = QUICK_ORDERS if quick else ORDERS
    export = _Export(orders)
    queries = orders_gen.sample_queries(orders, WARMUP + QUERIES)
    try:
        for name, open_db in (("SQLite", _sqlite), ("PostgreSQL", _postgres)):
            print(f"\n{name}: {orders:,} orders", flush=True)
            db = open_db(orders, export)
            if db is None:
                continue
            try:
                _measure(name, db, orders, queries)
            finally:
                db.dispose()
    finally:
        export.remove()


# --- building the databases ------------------------------------------------------------------------


class _Export:
    """The generated export, written the first time a database needs loading and removed at the end."""

    def __init__(self, orders: int) -> None:
        self.orders = orders
        self.path = OUT / f"search-orders-v{orders_gen.VERSION}-{orders}.csv"
        self.rows: int | None = None

    def get(self) -> tuple[Path, int]:
        if self.rows is None:
            print(f"  generating {self.orders:,} orders …", flush=True)
            written = orders_gen.write_export(self.path, orders=self.orders)
            size = self.path.stat().st_size / 1e6
            print(f"  generated {written.rows:,} rows ({size:,.0f} MB) in {written.seconds:.1f} s", flush=True)
            self.rows = written.rows
        return self.path, self.rows

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _stamp(orders: int) -> str:
    return f"returnbot bench: orders_gen v{orders_gen.VERSION} seed {orders_gen.SEED}, {orders} orders"


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(text("select count(*) from orders")) or 0


def _load(db: Database, export: _Export) -> None:
    path, rows = export.get()
    started = time.perf_counter()
    step = max(rows // 5, 1)
    reported = 0

    def progress(done: int, _total_bytes: int | None) -> None:
        nonlocal reported
        if done - reported >= step:
            reported = done
            print(f"    {done:,} of {rows:,} rows, {time.perf_counter() - started:.0f} s", flush=True)

    summary = import_orders(db, path, progress=progress)
    seconds = time.perf_counter() - started
    if summary.orders_created != export.orders:
        raise RuntimeError(f"expected {export.orders:,} new orders, the import says: {summary.describe()}")
    print(f"  imported in {seconds:.0f} s ({summary.rows / seconds:,.0f} rows/s)", flush=True)


def _sqlite(orders: int, export: _Export) -> Database:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"search-v{orders_gen.VERSION}-{orders}.sqlite3"
    url = f"sqlite:///{path}"
    if path.exists() and not REBUILD:
        db = Database(make_engine(url))
        upgrade(db.engine)
        if _count(db) == orders:
            print(f"  reused {path} (same generator version and size)", flush=True)
            return db
        db.dispose()
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    db = Database(make_engine(url))
    upgrade(db.engine)
    print(f"  building {path}", flush=True)
    _load(db, export)
    return db


def _postgres(orders: int, export: _Export) -> Database | None:
    url = make_url(PG_URL)
    if not database_ready(url):
        return None
    db = Database(make_engine(url))
    where = url.render_as_string(hide_password=True)
    if not REBUILD and _pg_comment(db) == _stamp(orders):
        upgrade(db.engine)
        if _count(db) == orders:
            print(f"  reused {where} (same generator version and size)", flush=True)
            _vacuum_analyze(db)  # a migration may have filled new tables (0011's name links)
            return db
    print(f"  building {where}", flush=True)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(db.engine)
    _load(db, export)
    _vacuum_analyze(db)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        name = conn.dialect.identifier_preparer.quote(url.database or "")
        comment = _stamp(orders).replace("'", "''")
        conn.execute(text(f"COMMENT ON DATABASE {name} IS '{comment}'"))
    return db


def _vacuum_analyze(db: Database) -> None:
    """What autovacuum does soon after a big import or migration anyway: statistics for the planner, the
    visibility map (index-only scans)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        started = time.perf_counter()
        conn.execute(text("VACUUM ANALYZE"))
        print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.0f} s", flush=True)


def _pg_comment(db: Database) -> str | None:
    with db.session() as session:
        comment: str | None = session.scalar(
            text("select shobj_description(oid, 'pg_database') from pg_database where datname = current_database()")
        )
    return comment


# --- measuring ---------------------------------------------------------------------------------------


@dataclass
class _Kind:
    label: str
    call: Callable[[Any], int]  # runs one query, returns how many orders it found
    inputs: list[Any]  # WARMUP + QUERIES of them
    samples: list[float] = field(default_factory=list)
    found: int = 0
    empty: int = 0  # queries that found nothing


def _measure(database: str, db: Database, orders: int, queries: dict[str, list[str]]) -> None:
    store = LocalStore(db)
    services = Services(db=db, store=store)

    def find(query: OrderQuery) -> int:
        return len(store.find_orders(query, LIMIT))

    def pk_lookup(order_id: int) -> int:
        with db.session() as session:
            return len(session.execute(text("select * from orders where id = :id"), {"id": order_id}).all())

    def whole_lookup(typed: str) -> int:
        result = look_up(services, typed)
        return 1 if result.order is not None else len(result.matches)

    with db.session() as session:
        low, high = session.execute(text("select min(id), max(id) from orders")).one()
    rng = random.Random(orders_gen.SEED)
    kinds = [_Kind(BASELINE, pk_lookup, [rng.randint(low, high) for _ in range(WARMUP + QUERIES)])]
    kinds += [_Kind(kind, find, [parse_query(t) for t in typed]) for kind, typed in queries.items()]
    kinds.append(_Kind(LOOK_UP, whole_lookup, queries["number"]))

    for kind in kinds:
        for value in kind.inputs[:WARMUP]:
            kind.call(value)
    gc.collect()
    # round robin, so that a noisy moment on the machine hits every kind alike
    for i in range(WARMUP, WARMUP + QUERIES):
        for kind in kinds:
            started = time.perf_counter()
            found = kind.call(kind.inputs[i])
            kind.samples.append(time.perf_counter() - started)
            kind.found += found
            kind.empty += not found

    baseline = percentile(kinds[0].samples, 95)
    rows = [
        (
            kind.label,
            ms(percentile(kind.samples, 50)),
            ms(percentile(kind.samples, 95)),
            ratio(percentile(kind.samples, 95), baseline),
            f"{kind.found / QUERIES:.1f}",
        )
        for kind in kinds
    ]
    title = f"Order search, {database}, {orders:,} orders: {QUERIES} queries per kind after {WARMUP} warm-up"
    header = ("query kind", "p50 ms", "p95 ms", "p95 ÷ PK-lookup p95", "orders found (mean)")
    print(table(title, header, rows))
    slow = [
        f"{k.label} {ms(percentile(k.samples, 95))} ms" for k in kinds[1:] if percentile(k.samples, 95) > TARGET_P95
    ]
    verdict = "met" if not slow else f"NOT met: {', '.join(slow)}"
    print(f"Target: p95 ≤ {TARGET_P95 * 1000:.0f} ms for every kind ({database}): {verdict}")
    # every query targets an existing order, except the "no match" ones
    odd = [f"{k.label} ({k.empty} found nothing)" for k in kinds if k.label != "no match" and k.empty]
    odd += [f"no match ({QUERIES - k.empty} found orders)" for k in kinds if k.label == "no match" and k.found]
    if odd:
        print(f"Warning: unexpected results: {', '.join(odd)}")
