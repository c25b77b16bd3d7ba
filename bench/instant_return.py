"""An instant return end to end, with 50 ms added to every call to Slack, Shopify and the carrier.

`/return <order> instant` is sent as a signed request to the bot over HTTP; the clock stops when the
label's file is complete in the order's thread at the fake Slack. The time is divided by the latency of the calls
that cannot be left out or merged, made one after another (UNAVOIDABLE), so a redundant call counts against the
bot instead of flattering the ratio; the calls the fakes recorded in that time are printed beside it. Each return
is over (its message in the thread updated with the label) before the next one starts.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.report import ms, ratio, table
from bot.app import create_app, make_client
from bot.common.context import BotContext
from bot.common.worker import WorkerPool
from bot.main.http_server import SlackHTTPServer
from bot.main.runtime import health_check
from bot.shell.standin import FakeSlack, signed_headers, slash_command_form
from commands.services import ReturnSettings, Services
from domain.carrier import Label, ReturnShipmentRequest
from domain.orders import Address
from integrations.carriers.local import LocalCarrier
from integrations.local_store.demo import demo_orders
from integrations.mail import OutboxMailer
from integrations.shopify.client import ShopifyClient
from integrations.shopify.standin.returns import install_returns
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.store import ShopifyStore
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.serials import next_serial

LATENCY = 0.050
SECRET = "bench-secret"
ORDERS = ["#1001", "#1002", "#1003", "#1005", "#1006", "#1008", "#1009", "#1013", "#1015", "#1016"]
# What an instant return cannot do without before its label's file is in the thread, one after another: Shopify finds
# the order by its number and reads it (one document within the cost limit), the card is posted, the carrier makes
# the label (the return's working message goes into the thread meanwhile, beside it), and the PDF goes up in Slack's
# three steps. The shop's record of the return (ReturnState, then ReturnCreate and ReverseDeliveryCreate, the second
# needing the first's reverse fulfillment order) follows the file: printed among the calls made, not waited for here.
UNAVOIDABLE = {
    "shopify": ("OrderSearch", "OrderDetail"),
    "slack": ("chat.postMessage", "files.getUploadURLExternal", "file_upload", "files.completeUploadExternal"),
    "carrier": ("create_return_shipment",),
}  # fmt: skip
UNAVOIDABLE_CALLS = sum(len(calls) for calls in UNAVOIDABLE.values())


class SlowCarrier:
    """The local carrier behind 50 ms of network, like a carrier's API."""

    def __init__(self, inner: LocalCarrier) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls = 0

    def create_return_shipment(self, request: ReturnShipmentRequest) -> Label:
        self.calls += 1
        time.sleep(LATENCY)
        return self.inner.create_return_shipment(request)

    def void(self, tracking_number: str) -> None:
        time.sleep(LATENCY)
        self.inner.void(tracking_number)

    def tracking_status(self, tracking_number: str) -> str:
        return self.inner.tracking_status(tracking_number)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # the rest of the carrier as it is: no network in them for a local label


def run(quick: bool = False) -> None:
    orders = ORDERS[:3] if quick else ORDERS
    rows = []
    # a Shopify Plus-sized bucket: pacing against the cost bucket is measured in bench/shopify_lookups.py
    shopify = FakeShopify(demo_orders(), bucket_max=20_000, restore_rate=1_000)
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as slack, shopify as shop:
        install_returns(shop)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        db = Database(engine)
        now = Services.clock
        carrier = SlowCarrier(LocalCarrier(lambda: next_serial(db, "tracking", now())))
        services = Services(
            db=db, store=ShopifyStore(ShopifyClient(shop.admin_url, shop.access_token), shop.shop_domain),
            carrier=carrier, mailer=OutboxMailer(Path(tmp) / "outbox"),
            returns=ReturnSettings(Address(name="Warehouse", address1="Tehtaankatu 12", zip="00140", city="Helsinki",
                                           country="FI"), "returns@example.com", "Returnbot Demo"),
        )  # fmt: skip
        app = create_app(BotContext(services, WorkerPool()), make_client("xoxb-bench", slack.url), SECRET)
        server = SlackHTTPServer(("127.0.0.1", 0), app, health_check(services))
        server.start_in_thread()
        http = httpx.Client(base_url=server.url)
        # warm-up: imports, first connections, the first label's fonts
        _one(http, slack, shop, carrier, "#1011")
        slack.delay("*", LATENCY)
        shop.delay(LATENCY)
        made: list[str] = []
        for name in orders:
            elapsed, made = _one(http, slack, shop, carrier, name)
            rows.append((name, elapsed, len(made)))
        server.shutdown()
        http.close()
    floor = UNAVOIDABLE_CALLS * LATENCY
    table_rows = [(n, ms(e), c, UNAVOIDABLE_CALLS, ms(floor), ratio(e, floor)) for n, e, c in rows]
    header = ["order", "total ms", "calls made", "unavoidable", "unavoidable ms", "total ÷ unavoidable"]
    print(table("instant return, 50 ms per outside call", header, table_rows))
    print("calls of the last return, in order: " + ", ".join(made))
    median_ratio = statistics.median(e / floor for _, e, _c in rows)
    verdict = "met" if median_ratio <= 1.2 else "NOT met"
    print(f"median total ÷ unavoidable calls: {median_ratio:.2f}× (target ≤ 1.20×) → {verdict}")


def _one(
    http: httpx.Client, slack: FakeSlack, shop: FakeShopify, carrier: SlowCarrier, order: str
) -> tuple[float, list[str]]:
    """One instant return: its time to the label's file in the thread, and the outside calls made in that time."""
    slack_before, shop_before, carrier_before = len(slack.calls), len(shop.calls), carrier.calls
    files_before = len(slack.calls_to("files.completeUploadExternal"))
    updates_before = len(slack.calls_to("chat.update"))
    body = slash_command_form(
        "/return", f"{order} instant", "U0BENCH", "C0BENCH", slack.response_url(channel="C0BENCH")
    )
    start = time.perf_counter()
    http.post("/slack/events", content=body.encode(), headers=signed_headers(SECRET, body))
    slack.wait_for("files.completeUploadExternal", count=files_before + 1, timeout=60)
    elapsed = time.perf_counter() - start
    done = slack.calls_to("files.completeUploadExternal")[-1].at
    # after the file, the return's message is updated with the label: wait for it, so it is not in the next return
    slack.wait_for("chat.update", count=updates_before + 1, timeout=60)
    slack_calls = [c.method for c in slack.calls[slack_before:] if c.at <= done and c.method != "auth.test"]
    shop_calls = [c.operation_name or "?" for c in shop.calls[shop_before:]]
    return elapsed, shop_calls + slack_calls + ["carrier"] * (carrier.calls - carrier_before)
