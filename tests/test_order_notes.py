"""The order card shows what the order says about itself (note, note attributes, tags), escaped and cut to fit
Block Kit, with the whole note one click away; on the local store and on Shopify, from export rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.common.ids import ActionId, BlockId
from bot.orders.notes import note_modal
from commands.services import Services
from domain.orders import Order
from integrations.local_store.importer import import_orders
from integrations.local_store.store import LocalStore
from integrations.shopify.client import ShopifyClient
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.store import ShopifyStore
from storage.db import Database
from tests.shopify_env import FAST, TODAY
from tests.slack_harness import SlackHarness, start_harness
from tests.test_import import COLUMNS, order_rows, write_csv

DAMAGED = "First item damaged <@U0BOSS> — see <https://evil.example|photos> & *call* <!channel>"
LONG_NOTE = DAMAGED + "\n" + "\n".join(f"line {i}: {'gift wrap please ' * 8}" for i in range(80))  # ~11,000
ATTRIBUTES = "gift_message: Happy birthday, <@U0MOM>!\nDelivery date: 2026-12-24\nwrapping: red"


@pytest.fixture
def orders(db: Database, tmp_path: Path) -> list[Order]:
    rows = [
        *order_rows("#2001", **{"Notes": LONG_NOTE, "Note Attributes": ATTRIBUTES, "Tags": "vip, <b>gift</b>"}),
        *order_rows("#2002", **{"Notes": "Leave at the door", "Created at": "2026-09-02 10:00:00 +0300"}),
        *order_rows("#2003", **{"Created at": "2026-09-03 10:00:00 +0300"}),
    ]
    import_orders(db, write_csv(tmp_path / "export.csv", rows, columns=[*COLUMNS, "Note Attributes", "Tags"]))
    store = LocalStore(db)
    return [o for o in (store.get_order(str(i)) for i in range(1, 4)) if o is not None]


@contextmanager
def on_store(db: Database, orders: list[Order], kind: str) -> Iterator[SlackHarness]:
    if kind == "local":
        harness = start_harness(Services(db=db, store=LocalStore(db)))
        try:
            yield harness
        finally:
            harness.close()
        return
    with FakeShopify(orders, now=lambda: TODAY) as fake:
        client = ShopifyClient(fake.admin_url, fake.access_token, policy=FAST)
        harness = start_harness(Services(db=db, store=ShopifyStore(client, fake.shop_domain)))
        try:
            yield harness
        finally:
            harness.close()
            client.close()
            fake.assert_no_rejections()


def _card(harness: SlackHarness, query: str) -> dict[str, Any]:
    harness.fake.clear()
    harness.command("/order", query)
    [card] = harness.posted()
    return card


def _block(card: dict[str, Any], block_id: str) -> dict[str, Any] | None:
    return next((b for b in card["blocks"] if b.get("block_id") == block_id), None)


def _note_view(harness: SlackHarness) -> dict[str, Any]:
    [view] = [v for v in harness.fake.views.values() if v["title"]["text"] == "Order note"]
    return view


@pytest.mark.parametrize("kind", ["local", "shopify"])
def test_the_card_shows_the_note_escaped_and_cut_and_the_full_note_opens(
    db: Database, orders: list[Order], kind: str
) -> None:
    assert orders[0].note_attributes == (
        ("gift_message", "Happy birthday, <@U0MOM>!"), ("Delivery date", "2026-12-24"), ("wrapping", "red"),
    )  # fmt: skip
    with on_store(db, orders, kind) as slack:
        card = _card(slack, "#2001")
        note = _block(card, BlockId.ORDER_NOTE)
        assert note is not None
        text = note["text"]["text"]
        # the customer's markup is shown, never acted on: no mention, link or broadcast
        assert "&lt;@U0BOSS&gt;" in text and "&lt;!channel&gt;" in text and "&amp;" in text
        assert "<@" not in text and "<!" not in text and "<http" not in text
        assert "• gift_message: Happy birthday, &lt;@U0MOM&gt;!" in text and "• Delivery date: 2026-12-24" in text
        assert "*Tags* vip, &lt;b&gt;gift&lt;/b&gt;" in text
        assert len(text) < 1500 and "…" in text  # a glance, not the whole 11,000 characters
        assert note["accessory"]["text"]["text"] == "Full note"

        slack.click(card, ActionId.ORDER_NOTE)
        view = _note_view(slack)
        shown = "".join(b["text"]["text"] for b in view["blocks"] if b["text"]["type"] == "plain_text")
        assert shown == LONG_NOTE.strip()  # every character, as plain text: nothing in it is markup
        everything = json.dumps(view["blocks"])
        assert "Happy birthday, &lt;@U0MOM&gt;!" in everything and "cut here" not in everything
        slack.fake.assert_no_errors()

        short = _block(_card(slack, "#2002"), BlockId.ORDER_NOTE)
        assert short is not None and "> Leave at the door" in short["text"]["text"] and "accessory" not in short
        assert _block(_card(slack, "#2003"), BlockId.ORDER_NOTE) is None  # nothing to say: no block


def test_the_cards_note_is_the_same_on_both_stores(db: Database, orders: list[Order]) -> None:
    with on_store(db, orders, "local") as slack:
        local = _block(_card(slack, "#2001"), BlockId.ORDER_NOTE)
    with on_store(db, orders, "shopify") as slack:
        remote = _block(_card(slack, "#2001"), BlockId.ORDER_NOTE)
    assert local is not None and remote is not None
    local["accessory"].pop("value")  # each store's own order id
    remote["accessory"].pop("value")
    assert local == remote


def test_a_huge_note_is_cut_at_the_modals_limits_and_says_so(orders: list[Order]) -> None:
    from dataclasses import replace

    huge = "😀 <b>x</b> " * 40_000  # 440,000 characters, each emoji 12 bytes of escaped JSON
    many = tuple((f"key {i}", "v" * 3000) for i in range(60))
    view = note_modal(replace(orders[0], note=huge, note_attributes=many))
    View(**view).to_dict()  # slack_sdk's own checks: block count, text lengths
    assert len(view["blocks"]) <= 100
    assert len(json.dumps(view)) < 250_000
    assert all(len(b["text"]["text"]) <= 3000 for b in view["blocks"])
    texts = " ".join(b["text"]["text"] for b in view["blocks"])
    assert "The note is cut here" in texts and "…and 20 more" in texts


def test_the_exports_note_attributes_are_read_line_by_line() -> None:
    from integrations.local_store.note_attributes import parse_note_attributes

    assert parse_note_attributes("gift_message: Happy: birthday\r\nfrom Ann\nDelivery date: 2026-12-24\n\n") == (
        ("gift_message", "Happy: birthday\nfrom Ann"), ("Delivery date", "2026-12-24"),
    )  # fmt: skip
    assert parse_note_attributes("just words") == (("", "just words"),)
    assert parse_note_attributes("") == ()
