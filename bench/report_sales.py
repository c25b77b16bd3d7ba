"""`returnbot report sales` over a big shop: rows per second on the local store, and pacing on Shopify.

1. Local store, 1,000,000 generated orders (`--quick`: 50,000), SQLite and PostgreSQL (the databases of the search
   benchmark, built once and kept: bench/search.py). The whole report (`commands.report_sales.sales_report` over
   every order) is timed beside a baseline timed in the same run: the same keyset pages read with plain SQL and
   nothing built from them. The ratio says what the report costs beyond reading its rows.
2. Shopify, 20,000 orders (`--quick`: 2,000) on the fake Admin API, whose bucket holds 1,000 points and restores
   500 points/s: the report pages through `orders(query:)` paced by the client, and its time is compared with the
   minimum that bucket allows for the very same calls (bench.shopify_lookups.minimum_seconds). Target ≤ 1.10×.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import and_, or_, select

from bench import search
from bench.report import ratio, table
from bench.shopify_lookups import minimum_seconds
from commands.report_sales import sales_report
from commands.services import LifecycleSettings, Services
from domain.money import Money
from domain.orders import Order, OrderRef
from integrations.local_store.demo import demo_orders
from integrations.local_store.sales import PAGE
from integrations.local_store.store import LocalStore
from integrations.shopify.client import ShopifyClient
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.store import ShopifyStore
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.models import OrderRow

SHOPIFY_ORDERS, QUICK_SHOPIFY_ORDERS = 20_000, 2_000
# the fake spends about half a second on a page of 100 orders: a bucket restoring 500 points/s (1.8 s a page)
# keeps the bucket, not the fake, the limit being measured
BUCKET, RESTORE = 1000.0, 500.0
TARGET = 1.10
EVERYTHING = (date(2000, 1, 1), date(2099, 12, 31))
UTC_SETTINGS = LifecycleSettings()


def run(quick: bool = False) -> None:
    local(search.QUICK_ORDERS if quick else search.ORDERS)
    shopify(QUICK_SHOPIFY_ORDERS if quick else SHOPIFY_ORDERS)


# -- the local store ---------------------------------------------------------------------------------------------


def local(orders: int) -> None:
    export = search._Export(orders)
    rows = []
    try:
        for name, open_db in (("SQLite", search._sqlite), ("PostgreSQL", search._postgres)):
            print(f"\n{name}: {orders:,} orders", flush=True)
            db = open_db(orders, export)
            if db is None:
                continue
            try:
                rows.append(_measure_local(name, db))
            finally:
                db.dispose()
    finally:
        export.remove()
    print(table("report sales over every order of the local store",
                ["database", "orders read", "report, s", "rows/s", "plain keyset scan, s", "report ÷ scan"], rows))


def _measure_local(name: str, db: Database) -> list[object]:
    services = Services(db=db, store=LocalStore(db), lifecycle=UTC_SETTINGS)
    started = time.perf_counter()
    scanned = _plain_scan(db)
    scan = time.perf_counter() - started
    started = time.perf_counter()
    report = sales_report(services, *EVERYTHING)
    seconds = time.perf_counter() - started
    if report.rows != scanned:
        raise RuntimeError(f"{name}: the report read {report.rows:,} orders, the scan {scanned:,}")
    return [name, f"{report.rows:,}", f"{seconds:.1f}", f"{report.rows / seconds:,.0f}", f"{scan:.1f}",
            ratio(seconds, scan)]  # fmt: skip


def _plain_scan(db: Database) -> int:
    """The report's pages with nothing built from them: the rows' own cost."""
    o = OrderRow
    count, last = 0, None
    while True:
        stmt = select(o.id, o.created_at, o.currency, o.total, o.refunded, o.subtotal, o.discount, o.tags,
                      o.cancelled_at).order_by(o.created_at, o.id).limit(PAGE)  # fmt: skip
        if last is not None:
            stmt = stmt.where(or_(o.created_at > last[1], and_(o.created_at == last[1], o.id > last[0])))
        with db.session() as s:
            rows = s.execute(stmt).all()
        count += len(rows)
        if len(rows) < PAGE:
            return count
        last = rows[-1]


# -- Shopify -----------------------------------------------------------------------------------------------------


def shop_orders(count: int) -> list[Order]:
    """The demo orders again and again, numbered on, spread over three months; every 50th a replacement."""
    base = demo_orders()
    start = datetime(2026, 9, 1, tzinfo=UTC)
    made = []
    for i in range(count):
        order = base[i % len(base)]
        tags = order.tags
        if i % 50 == 49:
            tags = ("replacement", "replacement-for-1001", "replacement-reason-damaged")
            order = replace(order, total=Money(Decimal(0), order.currency), discounts=order.subtotal)
        made.append(replace(
            order, ref=OrderRef(f"bench-{i}", f"#{10_000 + i}"), created_at=start + timedelta(seconds=i * 390),
            tags=tags, extra={},
        ))  # fmt: skip
    return made


def shopify(count: int) -> None:
    orders = shop_orders(count)
    with tempfile.TemporaryDirectory() as folder, FakeShopify(orders, bucket_max=BUCKET, restore_rate=RESTORE) as fake:
        db = Database(make_engine(f"sqlite:///{Path(folder) / 'bench.db'}"))  # the returns by reason live here
        upgrade(db.engine)
        client = ShopifyClient(fake.admin_url, fake.access_token)
        services = Services(db=db, store=ShopifyStore(client, fake.shop_domain), lifecycle=UTC_SETTINGS)
        fake.clear()
        started = time.perf_counter()
        report = sales_report(services, *EVERYTHING).rows
        elapsed = time.perf_counter() - started
        db.dispose()
        costs = [(float(c.requested_cost), float(c.actual_cost)) for c in fake.calls
                 if c.requested_cost is not None and c.actual_cost is not None]  # fmt: skip
        throttled = fake.throttled
        client.close()
    floor = minimum_seconds(costs, BUCKET, RESTORE)
    rows = [
        ("orders read", f"{report:,}"),
        ("pages (Shopify calls)", len(costs)),
        ("points charged", f"{sum(a for _r, a in costs):,.0f}"),
        ("THROTTLED answers", throttled),
        ("total time, s", f"{elapsed:.1f}"),
        ("minimum the bucket allows, s", f"{floor:.1f}"),
        ("time ÷ minimum", ratio(elapsed, floor)),
        ("orders/s", f"{report / elapsed:,.0f}"),
    ]
    print(table(f"report sales over {count:,} Shopify orders, a {BUCKET:.0f}-point bucket restoring {RESTORE:.0f}/s",
                ["", "value"], rows))  # fmt: skip
    met = throttled <= 1 and elapsed <= TARGET * floor
    print(f"target: no THROTTLED after the first, time ≤ {TARGET:.2f} × minimum → {'met' if met else 'NOT met'}")
