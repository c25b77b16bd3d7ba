"""An instant return booked with a real carrier adapter against its fake on 127.0.0.1, 150 ms added to every call to
the carrier: Shipit, then PostNord.

`/return <order> instant` is sent as a signed request to the bot over HTTP; the clock stops when the label's file is
complete in the order's thread at the fake Slack. The carrier calls that must run one after another are, for Shipit,
the booking (`PUT /customer-return`) and then the download of the label it links to (`freightDoc`); for PostNord the
booking alone (its answer carries the label). The time is divided by their sum, so a carrier call made in the way
(the drop-off points, a tracking link) counts against the bot; the calls the fake recorded are printed beside it.
The store is the bot's own (no network), and Slack answers at once. The same return with the carrier answering at
once (BASELINE) is the bot's own time on this machine: the total minus it is what the carrier's latency added,
which a bot that waits for nothing it need not wait for keeps at the sequential calls' sum (about 1.0×).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from bench.report import ms, ratio, table
from bot.app import create_app, make_client
from bot.common.context import BotContext
from bot.common.worker import WorkerPool
from bot.main.http_server import SlackHTTPServer
from bot.main.runtime import health_check
from bot.shell.standin import FakeSlack, signed_headers, slash_command_form
from commands.services import ReturnSettings, Services
from domain.orders import Address
from integrations.carriers.shipit import ShipitCarrier
from integrations.carriers.shipit.standin import FakeShipit
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import OutboxMailer
from storage.db import Database, make_engine
from storage.migrate import upgrade

LATENCY = 0.150
SECRET = "bench-secret"
ORDERS = ["#1001", "#1002", "#1003", "#1005", "#1006", "#1008", "#1009", "#1013", "#1015", "#1016"]
BASELINE = ["#1004", "#1012", "#1017", "#1018"]  # the same return with the carrier answering at once
WAREHOUSE = Address(name="Warehouse", address1="Tehtaankatu 12", zip="00140", city="Helsinki", country="FI")


class _Fake(Protocol):
    latency: float

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass
class Setup:
    name: str
    fake: _Fake
    carrier: Callable[[], Any]  # the adapter, built once the fake listens
    sequential: int  # carrier calls that must run one after another
    calls: Callable[[], list[str]]  # "METHOD path" of every call the fake has seen


def _shipit() -> Setup:
    fake = FakeShipit(shop_zip=WAREHOUSE.zip)
    return Setup(
        "Shipit", fake,
        lambda: ShipitCarrier(api_key=fake.api_key, api_url=fake.url, service_id=fake.service_id,
                              pickup_service_id=fake.pickup_service_id),
        2, lambda: [f"{c.method} {c.path}" for c in list(fake.calls)],
    )  # fmt: skip


def _postnord() -> Setup:
    from integrations.carriers.postnord import PostNordCarrier
    from integrations.carriers.postnord.standin import FakePostNord

    fake = FakePostNord()
    return Setup(
        "PostNord", fake,
        lambda: PostNordCarrier(api_key=fake.api_key, api_url=fake.url, customer_number=fake.customer_number,
                                return_address=WAREHOUSE),
        1, lambda: [f"{c.method} {c.path}" for c in list(fake.calls)],
    )  # fmt: skip


def run(quick: bool = False) -> None:
    for setup in (_shipit(), _postnord()):
        _run(setup, quick)


def _run(setup: Setup, quick: bool) -> None:
    orders = ORDERS[:3] if quick else ORDERS
    rows = []
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as slack, setup.fake:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        db = Database(engine)
        seed_demo_orders(db)
        carrier = setup.carrier()
        services = Services(
            db=db, store=LocalStore(db), carrier=carrier, mailer=OutboxMailer(Path(tmp) / "outbox"),
            returns=ReturnSettings(WAREHOUSE, "returns@example.com", "Returnbot Demo"),
        )  # fmt: skip
        app = create_app(BotContext(services, WorkerPool()), make_client("xoxb-bench", slack.url), SECRET)
        server = SlackHTTPServer(("127.0.0.1", 0), app, health_check(services))
        server.start_in_thread()
        http = httpx.Client(base_url=server.url)
        _one(http, slack, setup, "#1011")  # warm-up: imports, first connections
        own = statistics.median(_one(http, slack, setup, name)[0] for name in (BASELINE[:2] if quick else BASELINE))
        setup.fake.latency = LATENCY
        calls: list[str] = []
        for name in orders:
            elapsed, calls = _one(http, slack, setup, name)
            rows.append((name, elapsed, len(calls)))
        server.shutdown()
        http.close()
        getattr(carrier, "close", lambda: None)()
    floor = setup.sequential * LATENCY
    table_rows = [(n, ms(e), c, setup.sequential, ms(floor), ratio(e, floor)) for n, e, c in rows]
    header = ["order", "total ms", "carrier calls", "one after another", "their ms", "total ÷ theirs"]
    print(table(f"instant {setup.name} return, 150 ms per carrier call", header, table_rows))
    print("carrier calls of the last return, in order: " + ", ".join(calls))
    median_ratio = statistics.median(e / floor for _, e, _c in rows)
    verdict = "met" if median_ratio <= 1.2 else "NOT met"
    print(f"median total ÷ sequential carrier calls: {median_ratio:.2f}× (target ≤ 1.20×) → {verdict}")
    added = statistics.median(e for _, e, _c in rows) - own
    print(f"the bot's own time (carrier answering at once): {ms(own)} ms; added by 150 ms carrier calls: {ms(added)} ms"
          f" = {added / floor:.2f}× the sequential calls' {ms(floor)} ms\n")


def _one(http: httpx.Client, slack: FakeSlack, setup: Setup, order: str) -> tuple[float, list[str]]:
    """One instant return: its time to the label's file in the thread, and the carrier calls made for it."""
    before = len(setup.calls())
    files_before = len(slack.calls_to("files.completeUploadExternal"))
    updates_before = len(slack.calls_to("chat.update"))
    body = slash_command_form(
        "/return", f"{order} instant", "U0BENCH", "C0BENCH", slack.response_url(channel="C0BENCH")
    )
    start = time.perf_counter()
    http.post("/slack/events", content=body.encode(), headers=signed_headers(SECRET, body))
    slack.wait_for("files.completeUploadExternal", count=files_before + 1, timeout=60)
    elapsed = time.perf_counter() - start
    # after the file, the return's message is updated with the label: wait for it, so it is not in the next return
    slack.wait_for("chat.update", count=updates_before + 1, timeout=60)
    return elapsed, setup.calls()[before:]
