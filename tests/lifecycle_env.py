"""What the lifecycle and tick tests share: services on a test database with a clock that only moves when told, a
return with its label, and a notifier that records what the scheduler would say in Slack."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from commands import return_lifecycle, returns
from commands.lookup import look_up
from commands.replacement_tracking import ReplacementShipped
from commands.return_cases import Case
from commands.return_lifecycle import Received
from commands.services import LifecycleSettings, MovableClock, ReturnSettings, Services
from commands.tick import Digest
from domain.orders import Address
from domain.refunds import RefundChoice, RefundLineChoice, RestockType
from domain.store import Store
from integrations.carriers.local import LocalCarrier
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import Mailer, OutboxMailer
from storage import carrier_scans
from storage.db import Database
from storage.refunds import PlannedPayment, RefundDraft, RefundLine, RefundRequestView
from storage.serials import next_serial

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday, 12:00 in Helsinki
WAREHOUSE = Address(
    name="Returnbot Demo Warehouse", address1="Tehtaankatu 12", zip="00140", city="Helsinki", country="FI"
)
SETTINGS = LifecycleSettings(escalation_channel="C_LEADS", digest_channel="")


def make_services(
    db: Database,
    tmp_path: Path,
    *,
    store: Store | None = None,
    mailer: Mailer | None = None,
    start: datetime = T0,
    settings: LifecycleSettings = SETTINGS,
    seed: bool = True,
) -> Services:
    if seed and store is None:
        seed_demo_orders(db)
    clock = MovableClock(start, real=None)
    services = Services(
        db=db, store=store or LocalStore(db, clock=lambda: clock()), clock=clock,
        mailer=mailer or OutboxMailer(tmp_path / "outbox"),
        returns=ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo"),
        lifecycle=settings,
    )  # fmt: skip
    services.carrier = LocalCarrier(
        lambda: next_serial(db, "tracking", clock()), scans=lambda number: carrier_scans.latest(db, number)
    )
    return services


def clock_of(services: Services) -> MovableClock:
    assert isinstance(services.clock, MovableClock)
    return services.clock


def order_id(services: Services, name: str) -> str:
    result = look_up(services, name)
    assert result.order is not None, name
    return result.order.ref.id


def label_return(
    services: Services,
    order: str = "#1001",
    *,
    actor: str = "U_AGENT",
    finished: bool = True,
    channel: str = "C_ORDERS",
    thread_ts: str = "1700000000.000100",
    status_ts: str = "1700000000.000200",
) -> str:
    """A return of the order's items with its label, as the bot's flow makes it; its RMA."""
    draft = returns.draft_return(services, order_id(services, order))
    opened = returns.open_case(services, draft, returns.default_form(draft), actor, channel=channel,
                               thread_ts=thread_ts)  # fmt: skip
    returns.set_slack_status(services.db, opened.case.rma, status_ts)
    case = returns.create_label(services, opened.case.rma)
    returns.record_in_store(services, case.rma)
    if finished:  # what the bot's flow does once the PDF is in the thread and the e-mail went out
        return_lifecycle.mark_finished(services, case.rma)
    return case.rma


@dataclass
class RecordingNotifier:
    """The Notifier, recording each call (and, with `log`, appending it to a file other processes write too)."""

    log: Path | None = None
    fail: set[str] = field(default_factory=set)  # methods that raise
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, what it was about)
    digests: list[Digest] = field(default_factory=list)
    received_seen: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, method: str, about: str, **extra: Any) -> None:
        if method in self.fail:
            raise RuntimeError(f"{method} failed, as the test asked")
        with self.lock:
            self.calls.append((method, about))
            if self.log is not None:
                with self.log.open("a") as out:
                    out.write(json.dumps({"method": method, "about": about, **extra}) + "\n")

    def reminder(self, case: Case, *, customer_emailed_to: str | None) -> None:
        self._record("reminder", case.rma, emailed=customer_emailed_to)

    def escalation(self, case: Case, *, channel: str) -> None:
        self._record("escalation", case.rma, channel=channel)

    def expired(self, case: Case, *, label_voided: bool) -> None:
        self._record("expired", case.rma, voided=label_voided)

    def received(self, received: Received) -> None:
        self.received_seen.append(received)
        self._record("received", received.case.rma)

    def digest(self, digest: Digest, *, channel: str) -> None:
        self.digests.append(digest)
        self._record("digest", digest.day.isoformat(), channel=channel)

    def resume_return(self, rma: str) -> None:
        self._record("resume_return", rma)

    def refund_recovered(self, request: RefundRequestView) -> None:
        self._record("refund_recovered", str(request.id), status=str(request.status))

    def replacement_shipped(self, shipped: ReplacementShipped) -> None:
        self._record("replacement_shipped", str(shipped.request.id), name=shipped.name)

    def named(self, method: str) -> list[str]:
        with self.lock:
            return [about for m, about in self.calls if m == method]


def logged(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def bulk_cases(db: Database, count: int, *, at: datetime, due_at: datetime, kind: str = "reminder") -> list[str]:
    """`count` returns with labels (made directly in the tables: no carrier, no PDF to draw), each with one row of
    `kind` due at `due_at`; their RMAs."""
    from storage import reminders
    from storage.models import LabelRow, ReturnCaseRow

    rmas = [f"R9{n:05}-1" for n in range(count)]
    with db.session(write=True) as s:
        for n, rma in enumerate(rmas):
            case = ReturnCaseRow(
                rma=rma, store="local", order_id=str(90000 + n), order_name=f"#9{n:05}", status="label_created",
                delivery="drop_off", pickup_date=None, pickup_phone="", weight_grams=1000,
                items=[{"line_item_id": f"L{n}", "name": "Wool socks", "sku": "", "quantity": 1, "reason": "unwanted"}],
                sender={"name": "Anna Virtanen", "city": "Helsinki"}, customer_email=f"anna{n}@example.com",
                email_customer=True, language="fi", requested_by="U_AGENT", slack_channel="C_ORDERS",
                slack_thread_ts=f"1700000000.{n:06}", slack_status_ts="", created_at=at, updated_at=at,
                finished_at=at,
            )  # fmt: skip
            case.labels.append(
                LabelRow(carrier="bulk", service="Bulk", tracking_number=f"T{n:09}",  # not tracked by the tick
                         tracking_url="", pdf=b"%PDF-1.4\n%%EOF\n", status="created", created_at=at, updated_at=at)
            )  # fmt: skip
            s.add(case)
            reminders.schedule(s, key=f"{kind}:{rma}", kind=kind, subject=rma, due_at=due_at, now=at)
    return rmas


def refund_draft(services: Services) -> RefundDraft:
    """A refund of one pack of socks of #1001, priced and planned by the store."""
    oid = order_id(services, "#1001")
    order = services.store.get_order(oid)
    assert order is not None
    line = order.line_items[1]
    quote = services.store.refund_quote(oid, RefundChoice((RefundLineChoice(line.id, 1),)))
    return RefundDraft(
        store="local", order_id=oid, order_name="#1001", lines=(RefundLine(line.id, line.name, 1),),
        shipping=Decimal(0), restock=RestockType.NO_RESTOCK, amount=quote.amount.amount, currency="EUR",
        reason="Damaged",
        transactions=tuple(PlannedPayment(t.gateway, t.amount.amount, t.parent_id) for t in quote.transactions),
    )  # fmt: skip
