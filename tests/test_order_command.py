"""/order end to end: signed HTTP requests into the real Bolt app, a fake Slack behind it."""

from __future__ import annotations

import csv
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.common.ids import ActionId
from bot.common.replies import BUSY, FAILED
from bot.common.worker import WorkerPool
from bot.shell.standin import slash_command_form
from bot.shell.standin.signing import signed_headers
from commands.services import Services
from integrations.local_store.importer import import_orders
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from storage.db import Database
from storage.models import OrderRow
from tests.slack_harness import (
    AGENT,
    CHANNEL,
    SIGNING_SECRET,
    SlackHarness,
    ack_text,
    block_texts,
    find_element,
    start_harness,
)


@pytest.fixture
def services(db: Database) -> Services:
    seed_demo_orders(db)
    return Services(db=db, store=LocalStore(db))


@pytest.fixture
def slack(services: Services) -> Iterator[SlackHarness]:
    harness = start_harness(services)
    yield harness
    harness.close()
    harness.fake.assert_no_errors()  # every message and view the bot sent passed Block Kit validation


def _order_count(services: Services) -> int:
    with services.db.session() as s:
        return s.scalar(select(func.count()).select_from(OrderRow))


def test_order_number_posts_the_card_into_the_channel(slack: SlackHarness) -> None:
    response = slack.command("/order", "#1001")
    assert response.status_code == 200
    assert response.text == ""  # acked at once; the card comes from the worker
    [card] = slack.posted()
    text = block_texts(card)
    assert "Order #1001" in text
    assert "Jānis Bērziņš" in text and "janis.berzins@example.com" in text
    assert "387.70 EUR" in text
    assert "05808812345601" in text  # tracking
    assert "Brīvības iela 68-12" in text
    assert f"<@{AGENT}>" in text
    assert card["ts"]  # a real message: the order's thread hangs off it
    assert slack.responses() == []


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("1002", "#1002"),
        ("OIE.TAMM@example.com", "#1002"),
        ("õie", "#1002"),
        ("tamm", "#1002"),
        ("CC403188270EE", "#1002"),
        ("cc 4031 8827 0ee", "#1002"),
        ("0037 3500 4895 0001 1327", "#1015"),
        ("rūta žukausk", "#1006"),
        ("ruta zukauskiene", "#1006"),
        ("soren aer", "#1003"),
    ],
)
def test_every_kind_of_query_finds_the_order(slack: SlackHarness, query: str, order: str) -> None:
    slack.command("/order", query)
    [card] = slack.posted()
    assert f"Order {order}" in block_texts(card)


def test_several_matches_give_a_pick_list_whose_button_posts_the_card(slack: SlackHarness) -> None:
    slack.command("/order", "jani berz")
    assert slack.posted() == []
    [pick] = slack.responses()
    text = block_texts(pick)
    assert "2 orders match customer name “jani berz”" in text
    assert text.index("#1024") < text.index("#1001")  # newest first
    assert pick.get("response_type", "ephemeral") == "ephemeral"

    pick_message = {"ts": "1700000000.000001", "blocks": pick["blocks"]}
    order_1001 = next(b["accessory"]["value"] for b in pick["blocks"] if "#1001" in b.get("text", {}).get("text", ""))
    response = slack.click(pick_message, ActionId.PICK_ORDER, value=order_1001, ephemeral=True)
    assert response.status_code == 200
    [card] = slack.posted()
    assert "Order #1001" in block_texts(card)
    assert slack.responses()[-1].get("delete_original") in (True, "true")


def test_pick_list_is_at_most_ten_newest_first(slack: SlackHarness, services: Services, tmp_path: Path) -> None:
    export = tmp_path / "many.csv"
    header = "Name,Email,Financial Status,Fulfillment Status,Currency,Total,Created at,Billing Name,"
    header += "Lineitem quantity,Lineitem name,Lineitem price\n"
    rows = "".join(
        f"#{5000 + i},eeva{i}@example.com,paid,unfulfilled,EUR,10.00,2026-10-{i + 1:02d} 10:00:00 +0200,"
        f"Eeva Äärelä,1,Socks,10.00\n"
        for i in range(14)
    )
    export.write_text(header + rows, encoding="utf-8")
    import_orders(services.db, export, alongside_demo=True)

    slack.command("/order", "eeva aare")
    [pick] = slack.responses()
    names = [b["accessory"]["text"]["text"] for b in pick["blocks"] if "accessory" in b]
    assert names == [f"Show #{5000 + i}" for i in range(13, 3, -1)]  # ten, newest first
    assert "More orders match" in block_texts(pick)


def test_no_match_says_what_was_searched(slack: SlackHarness) -> None:
    slack.command("/order", "#9999")
    [reply] = slack.responses()
    assert "No order found for order number #9999 in the local store" in reply["text"]
    slack.command("/order", "nobody@example.com")
    assert "e-mail nobody@example.com" in slack.responses()[-1]["text"]
    slack.command("/order", "Zzyzx Qwerty")
    assert "customer name “zzyzx qwerty”" in slack.responses()[-1]["text"]
    assert slack.posted() == []


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("", "Type an order number"),
        ("x" * 10_000, "10,000 characters"),
        ("%", "nothing to search for"),
        ("_", "nothing to search for"),
        ("'", "nothing to search for"),
        ("🙂", "nothing to search for"),
    ],
)
def test_bad_input_is_answered_in_the_ack_and_changes_nothing(
    slack: SlackHarness, services: Services, text: str, answer: str
) -> None:
    before = _order_count(services)
    response = slack.command("/order", text)
    assert response.status_code == 200
    assert answer in ack_text(response)
    assert slack.posted() == [] and slack.responses() == []
    assert _order_count(services) == before


@pytest.mark.parametrize("text", ["' OR 1=1 --", "%_%", "Robert'); DROP TABLE orders;--", '"jan*" OR berz'])
def test_sql_and_fts_metacharacters_are_just_text(slack: SlackHarness, services: Services, text: str) -> None:
    before = _order_count(services)
    response = slack.command("/order", text)
    assert response.status_code == 200
    assert slack.posted() == [] or all("Order #" in block_texts(m) for m in slack.posted())
    assert all("went wrong" not in r.get("text", "") for r in slack.responses())
    assert _order_count(services) == before


def test_forged_and_stale_signatures_are_refused_and_nothing_runs(slack: SlackHarness) -> None:
    body = slash_command_form("/order", "#1001", AGENT, CHANNEL, slack.fake.response_url())
    forged = signed_headers("not-the-secret", body)
    assert slack.post(body, headers=forged).status_code == 401
    stale = signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()) - 400)
    assert slack.post(body, headers=stale).status_code == 401
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert slack.post(body, headers=unsigned).status_code == 401
    slack.settle()
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []


def test_when_the_bot_cannot_post_the_agent_is_told_why(slack: SlackHarness) -> None:
    slack.fake.not_member_channels.add(CHANNEL)
    slack.command("/order", "#1001")
    assert slack.posted() == []
    [reply] = slack.responses()
    text = block_texts(reply)
    assert "not a member of this channel" in text and "/invite @returnbot" in text
    assert "Order #1001" in text  # still shown, to the agent alone


def test_a_full_pool_says_busy_instead_of_timing_out(services: Services) -> None:
    release = threading.Event()
    worker = WorkerPool(workers=1, queue=0)
    harness = start_harness(services, worker=worker)
    try:
        assert worker.submit(release.wait)
        body = slash_command_form("/order", "#1001", AGENT, CHANNEL, harness.fake.response_url(channel=CHANNEL))
        response = harness.post(body)
        assert response.status_code == 200
        assert ack_text(response) == BUSY
    finally:
        release.set()
        harness.close()


def test_a_failure_in_the_background_reaches_the_agent_without_a_traceback(services: Services) -> None:
    class BrokenStore(LocalStore):
        def find_orders(self, query, limit):
            raise RuntimeError("connection reset by peer (internal detail)")

    broken = Services(db=services.db, store=BrokenStore(services.db))
    harness = start_harness(broken)
    try:
        harness.command("/order", "#1001")
        [reply] = harness.responses()
        assert reply["text"] == FAILED
        assert "connection reset" not in reply["text"]
    finally:
        harness.close()


def test_healthz_reports_the_database(slack: SlackHarness) -> None:
    response = httpx.get(f"{slack.server.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": "ok"}
    assert httpx.get(f"{slack.server.url}/nope").status_code == 404


# -- customer data is text, never Slack markup --------------------------------------------------------------

HOSTILE_NAME = "<!channel> <https://evil.example|Verify>"
GOOD_TRACKING = "https://track.example/t?n=JJ2&lang=en"


def _import_hostile_orders(services: Services, tmp_path: Path) -> None:
    columns = [
        "Name", "Email", "Financial Status", "Fulfillment Status", "Currency", "Total", "Created at", "Billing Name",
        "Shipping Method", "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku",
        "Lineitem fulfillment status", "Tracking Number", "Tracking Company", "Tracking URL",
    ]  # fmt: skip
    rows = [
        ["#7001", "mallory@evil.example", "paid", "fulfilled", "EUR", "10.00", "2026-10-01 10:00:00 +0000",
         HOSTILE_NAME, "<!everyone> & co", "1", "<https://evil.example|Free> gift", "10.00", "<!here>", "fulfilled",
         "JJ1", "<!subteam^S0001>", "javascript:alert(1)"],
        ["#7002", "<!here>@evil.example", "paid", "fulfilled", "EUR", "10.00", "2026-10-02 10:00:00 +0000",
         "Eve", "", "1", "Cap", "10.00", "", "fulfilled", "JJ2", "Posti", GOOD_TRACKING],
        ["#7003", "<!here>@evil.example", "paid", "fulfilled", "EUR", "10.00", "2026-10-03 10:00:00 +0000",
         "Eve", "", "1", "Cap", "10.00", "", "fulfilled", "JJ3", "Posti", "https://track.example/x>|<!channel"],
    ]  # fmt: skip
    path = tmp_path / "hostile.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([columns, *rows])
    import_orders(services.db, path, alongside_demo=True)


def _markup(text: str) -> list[str]:
    """Every `<…>` token in mrkdwn: links, mentions, dates."""
    return re.findall(r"<([^<>]*)>", text)


def _made_by_the_bot(token: str) -> bool:
    return token.startswith(("@U", "!date^")) or token == f"{GOOD_TRACKING.replace('&', '&amp;')}|JJ2"


def test_customer_and_shop_data_cannot_mention_or_link(slack: SlackHarness, services: Services, tmp_path: Path) -> None:
    _import_hostile_orders(services, tmp_path)

    slack.command("/order", "#7001")
    [card] = slack.posted()
    assert card["text"] == "Order #7001 — &lt;!channel&gt; &lt;https://evil.example|Verify&gt; — 10.00 EUR"
    text = block_texts(card)
    assert [t for t in _markup(text) if not _made_by_the_bot(t)] == []
    assert "&lt;!channel&gt;" in text and "&lt;!everyone&gt; &amp; co" in text and "`&lt;!here&gt;`" in text
    assert "&lt;!subteam^S0001&gt;: `JJ1`" in text  # a javascript: URL is no link: the number alone

    slack.command("/order", "#7003")  # an http URL with markup in it is no link either
    assert "Posti: `JJ3`" in block_texts(slack.posted()[-1])
    assert [t for t in _markup(block_texts(slack.posted()[-1])) if not _made_by_the_bot(t)] == []

    slack.command("/order", "#7002")
    assert f"Posti: <{GOOD_TRACKING.replace('&', '&amp;')}|JJ2>" in block_texts(slack.posted()[-1])


def test_what_was_searched_is_shown_as_text(slack: SlackHarness, services: Services, tmp_path: Path) -> None:
    _import_hostile_orders(services, tmp_path)

    slack.command("/order", "<!here>@evil.example")  # two orders: the pick list repeats the search
    [pick] = slack.responses()
    assert pick["text"] == "2 orders match e-mail &lt;!here&gt;@evil.example"
    assert "<!here>" not in block_texts(pick)

    slack.command("/order", "<!channel>@nowhere.example")
    miss = slack.responses()[-1]["text"]
    assert "No order found for e-mail &lt;!channel&gt;@nowhere.example" in miss and "<!channel>" not in miss
    assert miss.endswith("For example: `/order #1001`.")


# -- the listeners are module-level functions: callable without Bolt -------------------------------------------


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, **kwargs: object) -> None:
        self.calls.append(kwargs)


def test_the_listeners_are_plain_functions_of_the_context(services: Services) -> None:
    from bot.common.context import BotContext
    from bot.orders.handlers import order_command, pick_order

    worker = WorkerPool(workers=1, queue=0)
    release = threading.Event()
    try:
        ctx = BotContext(services, worker)
        ack, respond = _Recorder(), _Recorder()
        order_command(ctx, ack, {"text": "%"}, respond, client=None)
        [answer] = ack.calls
        assert "nothing to search for in “%”" in str(answer["text"]) and "`/order #1001`" in str(answer["text"])

        assert worker.submit(release.wait)  # the pool is full: the one helper says busy, in the ack or aside
        ack = _Recorder()
        order_command(ctx, ack, {"text": "#1001", "channel_id": CHANNEL, "user_id": AGENT}, respond, client=None)
        assert ack.calls == [{"text": BUSY}]
        ack = _Recorder()
        pick_order(ctx, ack, {"channel": {"id": CHANNEL}, "user": {"id": AGENT}}, {"value": "1"}, respond, None)
        assert ack.calls == [{}] and respond.calls[-1]["text"] == BUSY
    finally:
        release.set()
        worker.shutdown()


# -- the card posted from /returns ------------------------------------------------------------------------------


@pytest.fixture
def with_returns(db: Database, tmp_path: Path) -> Iterator[SlackHarness]:
    from commands.services import ReturnSettings
    from integrations.carriers.local import LocalCarrier
    from integrations.mail.outbox import OutboxMailer
    from storage.serials import next_serial
    from tests.test_returns_workflow import WAREHOUSE

    seed_demo_orders(db)
    services = Services(
        db=db, store=LocalStore(db), mailer=OutboxMailer(tmp_path / "outbox"),
        carrier=LocalCarrier(lambda: next_serial(db, "tracking", services.clock())),
        returns=ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo"),
    )  # fmt: skip
    harness = start_harness(services)
    yield harness
    harness.close()
    harness.fake.assert_no_errors()


def test_show_from_the_returns_list_brings_the_returns_buttons(with_returns: SlackHarness) -> None:
    slack = with_returns
    slack.command("/return", "#1005 instant")
    slack.command("/returns", "open")
    listing = slack.responses()[-1]
    before = len(slack.posted())
    slack.click({"ts": "1.0", "blocks": listing["blocks"]}, ActionId.SHOW_ORDER, ephemeral=True)
    card = slack.posted()[before]  # then the thread under it
    assert "Order #1005" in card["text"] and "Return R1005-1" in block_texts(card)
    label = next(m for m in slack.fake.thread(CHANNEL, card["ts"])[1:] if "R1005-1" in m.get("text", ""))
    assert find_element(label, ActionId.RETURN_EMAIL, "R1005-1")
    slack.click(label, ActionId.RETURN_VOID, value="R1005-1")  # acts on the return from right there
    voided = slack.fake.message(CHANNEL, label["ts"])
    assert voided is not None and "label voided" in block_texts(voided)
    assert "Return R1005-1" in block_texts(slack.fake.message(CHANNEL, card["ts"]) or {})  # the card stays
