"""Cancelling an order end to end, with 50 ms added to every call to Slack, Shopify and the carrier.

The cancel form of `/cancel-order <order>` (opened before the clock starts) is submitted as a signed request to the
bot over HTTP, within the refund limit so no team lead is waited for; each order has an unused return label, voided
first. The clock stops when the bot's work is over: the label voided, Shopify's orderCancel job polled at the
interval the bot keeps for it (JOB_POLL_SECONDS) until done, the thread told, the card redrawn and the modal's last
word shown. The time is divided by the latency of the calls that cannot be left out or merged, made one after another
(UNAVOIDABLE), plus the one wait for the job; a redundant call counts against the bot.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bench.report import ms, ratio, table
from bot.app import create_app, make_client
from bot.common.context import BotContext, RefundSetup
from bot.common.worker import WorkerPool
from bot.main.http_server import SlackHTTPServer
from bot.main.runtime import health_check
from bot.shell.standin import (
    FakeSlack,
    initial_values,
    interactive_form,
    signed_headers,
    slash_command_form,
    view_submission_payload,
)
from commands.refunds import RefundPolicy
from commands.services import ReturnSettings, Services
from domain.orders import Address, OrderRef
from domain.vocabulary import Delivery
from integrations.carriers.local import LocalCarrier
from integrations.labels import tracking
from integrations.local_store.demo import demo_orders
from integrations.mail import OutboxMailer
from integrations.shopify.cancellation import JOB_POLL_SECONDS
from integrations.shopify.client import ShopifyClient
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.store import ShopifyStore
from storage import returns as returns_stored
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.serials import next_serial

LATENCY = 0.050
SECRET = "bench-secret"
USER, CHANNEL = "U0BENCH", "C0BENCH"
COPIES = 12  # paid, unshipped orders like #1024 (#2001 …): the ones a cancellation is for
WARM_UP = "#1020"
# What a cancellation cannot do without, in order: the order read again on submit (the form's client names only its
# id), the unused label voided at the carrier, Shopify read for cancelledAt before the mutation (orderCancel has no
# idempotency key), the mutation, one look at its job after the interval (the look reads the cancelled order too),
# the thread told, the order read for its card, the card redrawn and the modal's last word.
WAREHOUSE = Address(name="Warehouse", address1="Tehtaankatu 12", zip="00140", city="Helsinki", country="FI")
UNAVOIDABLE = {
    "shopify": ("OrderDetail", "OrderCancelState", "OrderCancel", "JobStatus", "OrderDetail"),
    "carrier": ("void",),
    "slack": ("chat.postMessage", "chat.update", "views.update"),
}
UNAVOIDABLE_CALLS = sum(len(calls) for calls in UNAVOIDABLE.values())
WAITS = 1  # job polls at JOB_POLL_SECONDS: the first look finds it done


class SlowCarrier:
    """The local carrier behind 50 ms of network, like a carrier's API."""

    def __init__(self, inner: LocalCarrier) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0

    def void(self, tracking_number: str) -> None:
        self.calls += 1
        time.sleep(LATENCY)
        self.inner.void(tracking_number)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def run(quick: bool = False) -> None:
    demo = demo_orders()
    model = next(o for o in demo if o.name == "#1024")
    copies = [replace(model, ref=OrderRef(str(2000 + i), f"#{2000 + i}")) for i in range(1, COPIES + 1)]
    orders = [o.name for o in copies[: 3 if quick else COPIES]]
    rows = []
    shopify = FakeShopify([*demo, *copies], bucket_max=20_000, restore_rate=1_000)
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as slack, shopify as shop:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        db = Database(engine)
        carrier = SlowCarrier(LocalCarrier(lambda: next_serial(db, "tracking", datetime.now(UTC))))
        services = Services(
            db=db, store=ShopifyStore(ShopifyClient(shop.admin_url, shop.access_token), shop.shop_domain),
            carrier=carrier, mailer=OutboxMailer(Path(tmp) / "outbox"),
            returns=ReturnSettings(WAREHOUSE, "returns@example.com", "Returnbot Demo"),
        )  # fmt: skip
        worker = WorkerPool()
        setup = RefundSetup(policy=RefundPolicy(Decimal(100_000)))  # within the limit: no team lead to wait for
        app = create_app(BotContext(services, worker, refunds=setup), make_client("xoxb-bench", slack.url), SECRET)
        server = SlackHTTPServer(("127.0.0.1", 0), app, health_check(services))
        server.start_in_thread()
        http = httpx.Client(base_url=server.url)
        for name in [WARM_UP, *orders]:
            _label(services, shop, name)
        _one(http, slack, shop, worker, carrier, WARM_UP)  # imports, first connections
        slack.delay("*", LATENCY)
        shop.delay(LATENCY)
        made: list[str] = []
        for name in orders:
            elapsed, made = _one(http, slack, shop, worker, carrier, name)
            rows.append((name, elapsed, len(made)))
        server.shutdown()
        http.close()
        worker.shutdown()
    floor = UNAVOIDABLE_CALLS * LATENCY + WAITS * JOB_POLL_SECONDS
    table_rows = [(n, ms(e), c, UNAVOIDABLE_CALLS, ms(floor), ratio(e, floor)) for n, e, c in rows]
    header = ["order", "total ms", "calls made", "unavoidable", "unavoidable ms (+1 poll wait)", "total ÷ unavoidable"]
    print(table("cancel an order, 50 ms per outside call", header, table_rows))
    print("calls of the last cancellation, in order: " + ", ".join(made))
    median_ratio = statistics.median(e / floor for _, e, _c in rows)
    verdict = "met" if median_ratio <= 1.2 else "NOT met"
    print(f"median total ÷ unavoidable calls: {median_ratio:.2f}× (target ≤ 1.20×) → {verdict}")


def _label(services: Services, shop: FakeShopify, name: str) -> None:
    """An unused return label of the order, as the bot makes them (voided first by the cancellation)."""
    number = int(name.lstrip("#"))
    order_id = shop.order_gid(str(number - 1000 if number < 2000 else number))
    now = datetime.now(UTC)
    new = returns_stored.NewCase(
        store="shopify", order_id=order_id, order_name=name, delivery=Delivery.DROP_OFF, pickup_date=None,
        pickup_phone="", weight_grams=1000, items=[], sender=WAREHOUSE, customer_email="", email_customer=False,
        language="en", requested_by=USER, slack_channel="", slack_thread_ts="",
    )  # fmt: skip
    rma = returns_stored.insert_case(services.db, new, {}, f"R{name.lstrip('#')}", now)[0].rma
    tracking_number = tracking.make(next_serial(services.db, "tracking", now), service="RB", country="FI")
    label = returns_stored.NewLabel(carrier="local", service="Return", tracking_number=tracking_number,
                                    tracking_url="", pdf=b"%PDF-1.4")  # fmt: skip
    returns_stored.add_label(services.db, rma, label, now)


def _one(
    http: httpx.Client, slack: FakeSlack, shop: FakeShopify, worker: WorkerPool, carrier: SlowCarrier, order: str
) -> tuple[float, list[str]]:
    """One cancellation: its time from the form's submission to the bot's last word, and the calls made."""
    body = slash_command_form("/cancel-order", order, USER, CHANNEL, slack.response_url(channel=CHANNEL))
    opened = len(slack.calls_to("views.update"))
    http.post("/slack/events", content=body.encode(), headers=signed_headers(SECRET, body))
    slack.wait_for("views.update", count=opened + 1, timeout=60)
    assert worker.wait_idle(timeout=60)
    view = slack.views[slack.calls_to("views.update")[-1].args["view_id"]]
    submission = interactive_form(view_submission_payload(USER, view, initial_values(view)))
    slack_before, shop_before, carrier_before = len(slack.calls), len(shop.calls), carrier.calls
    start = time.perf_counter()
    http.post("/slack/events", content=submission.encode(), headers=signed_headers(SECRET, submission))
    assert worker.wait_idle(timeout=60)
    elapsed = time.perf_counter() - start
    text = str(slack.calls_to("views.update")[-1].args["view"])
    assert "cancelled" in text, f"{order} was not cancelled: {text[:300]}"
    slack_calls = [c.method for c in slack.calls[slack_before:] if c.method != "auth.test"]
    shop_calls = [c.operation_name or "?" for c in shop.calls[shop_before:]]
    return elapsed, shop_calls + ["carrier"] * (carrier.calls - carrier_before) + slack_calls
