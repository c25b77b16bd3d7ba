"""One tick of the scheduler over 10,000 open returns of which 2,000 are due for their reminder, on SQLite and
PostgreSQL: the claim query's latency (`storage.reminders.claim_due`, 100 rows a claim) and one tick's throughput,
messages per second posted to a live fake Slack (bot.shell.standin.FakeSlack) by the bot's own notifier
(bot.lifecycle.notifier.SlackNotifier), each reminder with its customer e-mail (label attached, outbox folder).

The returns are written straight into the tables (no carrier, a stub PDF): what is measured is the tick, not
making 10,000 labels. RETURNBOT_BENCH_PG_URL overrides the PostgreSQL database (created when missing).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import make_url

from bench.pg import database_ready
from bench.report import median, ms, percentile, table
from bot.app import make_client
from bot.common.context import BotContext
from bot.common.worker import WorkerPool
from bot.lifecycle.notifier import SlackNotifier
from bot.shell.standin import FakeSlack
from commands import tick as ticks
from commands.services import LifecycleSettings, MovableClock, ReturnSettings, Services
from domain.orders import Address
from integrations.local_store.store import LocalStore
from integrations.mail import OutboxMailer
from storage import reminders
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.models import LabelRow, ReminderRow, ReturnCaseRow

PG_URL = make_url(
    os.environ.get("RETURNBOT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/returnbot_bench_tick")
)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
CLAIM = 100  # rows a claim takes (commands.tick.BATCH)
ROUNDS = 5  # times the due rows are claimed over, for the claim's percentiles
CHANNEL = "C_RETURNS"


@dataclass(frozen=True)
class Result:
    database: str
    claims: list[float]
    tick_seconds: float
    report: ticks.TickReport
    posted: int
    emails: int


def run(quick: bool = False) -> None:
    open_count, due_count = (1_000, 200) if quick else (10_000, 2_000)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(_measure("SQLite", f"sqlite:///{Path(tmp) / 'tick.db'}", Path(tmp), open_count, due_count))
        if database_ready(PG_URL):
            engine = make_engine(PG_URL)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
            results.append(_measure("PostgreSQL", PG_URL, Path(tmp), open_count, due_count))
    rows = [
        (
            r.database, len(r.claims), ms(median(r.claims)), ms(percentile(r.claims, 95)), r.report.reminders,
            r.posted, r.emails, f"{r.tick_seconds:.1f}", f"{r.posted / r.tick_seconds:.0f}", r.report.errors,
        )
        for r in results
    ]  # fmt: skip
    header = ["database", "claims", "claim p50 ms", "claim p95 ms", "reminders", "Slack posts", "e-mails", "tick s",
              "messages/s", "errors"]  # fmt: skip
    print(table(f"One tick: {open_count:,} open returns, {due_count:,} reminders due (claims of {CLAIM} rows)", header,
                rows))  # fmt: skip


def _measure(name: str, url: Any, tmp: Path, open_count: int, due_count: int) -> Result:
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    try:
        _populate(db, open_count, due_count)
        claims = []
        for _ in range(ROUNDS):
            _due_again(db)
            while True:
                started = time.perf_counter()
                claimed = reminders.claim_due(db, now=NOW, owner="bench", limit=CLAIM)
                if not claimed:
                    break
                claims.append(time.perf_counter() - started)
        _due_again(db)
        outbox = tmp / f"outbox-{name}"
        with FakeSlack() as slack:
            services = _services(db, outbox)
            worker = WorkerPool()
            try:
                notifier = SlackNotifier(make_client("xoxb-bench", slack.url), BotContext(services, worker))
                started = time.perf_counter()
                report = ticks.tick(services, notifier, now=NOW, owner="bench")
                elapsed = time.perf_counter() - started
            finally:
                worker.shutdown()
            posted = len(slack.calls_to("chat.postMessage"))
        return Result(name, claims, elapsed, report, posted, len(list(outbox.glob("*.eml"))))
    finally:
        db.dispose()


def _services(db: Database, outbox: Path) -> Services:
    address = Address(name="Warehouse", address1="Tehtaankatu 12", zip="00140", city="Helsinki", country="FI")
    return Services(
        db=db, store=LocalStore(db), clock=MovableClock(NOW, real=None), mailer=OutboxMailer(outbox),
        returns=ReturnSettings(address, "returns@example.com", "Returnbot Bench"),
        lifecycle=LifecycleSettings(escalation_channel=CHANNEL),
    )  # fmt: skip


def _populate(db: Database, open_count: int, due_count: int) -> None:
    """`open_count` returns with labels, each with its reminder, escalation and expiry; the first `due_count`
    reminders are due at NOW, the rest later (as returns of different ages are)."""
    made = NOW - timedelta(days=14, minutes=5)
    cases: list[dict[str, Any]] = [
        dict(
            rma=f"R{n:06}-1", store="local", order_id=str(100_000 + n), order_name=f"#{100_000 + n}",
            status="label_created", delivery="drop_off", pickup_date=None, pickup_phone="", weight_grams=1000,
            items=[{"line_item_id": str(n), "name": "Wool Hiking Socks 3-pack", "sku": "WS-3", "quantity": 1,
                    "reason": "unwanted"}],
            sender={"name": "Anna Virtanen", "address1": "Mannerheimintie 1", "zip": "00100", "city": "Helsinki",
                    "country": "FI"},
            customer_email=f"anna.{n}@example.com", email_customer=True, language="fi", resolution="",
            shopify_return_id="", requested_by="U_AGENT", slack_channel=CHANNEL, slack_thread_ts="1700000000.000100",
            slack_status_ts="", error="", created_at=made if n < due_count else made + timedelta(days=3),
            updated_at=made, finished_at=made, received_by="", received_source="", receipt=[], receipt_note="",
            slack_reminder_ts="",
        )
        for n in range(open_count)
    ]  # fmt: skip
    with db.session(write=True) as s:
        s.execute(insert(ReturnCaseRow), cases)
        ids = dict(s.execute(select(ReturnCaseRow.rma, ReturnCaseRow.id)).tuples().all())
        s.execute(
            insert(LabelRow),
            [
                dict(return_case_id=ids[c["rma"]], carrier="bench", service="Bench", tracking_number=f"B{n:09}",
                     tracking_url="", pdf=b"%PDF-1.4\n%%EOF\n", status="created", created_at=made, updated_at=made)
                for n, c in enumerate(cases)
            ],
        )  # fmt: skip
        rows = []
        for c in cases:
            for kind, days in (("reminder", 14), ("escalation", 21), ("expiry", 30)):
                rows.append(
                    dict(key=f"{kind}:{c['rma']}", kind=kind, subject=c["rma"], due_at=c["created_at"] +
                         timedelta(days=days), status="pending", claimed_by="", attempts=0, last_error="",
                         created_at=made, updated_at=made)
                )  # fmt: skip
        s.execute(insert(ReminderRow), rows)
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def _due_again(db: Database) -> None:
    """The due reminders back to pending, unclaimed: the next claim or tick finds them as at first."""
    with db.session(write=True) as s:
        s.execute(
            update(ReminderRow)
            .where(ReminderRow.kind == "reminder", ReminderRow.due_at <= NOW)
            .values(status="pending", claimed_by="", claim_expires_at=None, attempts=0)
        )
