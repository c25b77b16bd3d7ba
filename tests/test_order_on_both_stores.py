"""/order gives the same answers on the local store and on Shopify (the fake Admin API) for the same orders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.common.ids import ActionId
from commands.services import Services
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from storage.db import Database
from tests.shopify_env import shopify
from tests.slack_harness import SlackHarness, block_texts, start_harness
from tests.test_cli import CLEAN

QUERIES = ["#1020", "1017", "oie.tamm@example.com", "ruta zukauskiene", "SØREN ærø", "#1011", "1007"]


def _cards(harness: SlackHarness, queries: list[str]) -> list[list[dict]]:
    cards = []
    for query in queries:
        harness.fake.clear()
        harness.command("/order", query)
        [card] = harness.posted()
        cards.append(_without_ids(card["blocks"]))
    harness.fake.assert_no_errors()
    return cards


def _without_ids(blocks: list[dict]) -> list[dict]:
    """The card as a person sees it: the menu's option values and the buttons' values carry each store's own
    order id."""
    for block in blocks:
        for element in block.get("elements", []):
            for option in element.get("options", []):
                option["value"] = option["value"].split("|")[0]
            if element.get("type") == "button":
                element.pop("value", None)
    return blocks


def _run(services: Services, fn):
    harness = start_harness(services)
    try:
        return fn(harness)
    finally:
        harness.close()


def test_order_cards_are_identical_on_both_stores(db: Database) -> None:
    seed_demo_orders(db)
    local_cards = _run(Services(db=db, store=LocalStore(db)), lambda h: _cards(h, QUERIES))
    with shopify() as (_fake, store):
        shopify_cards = _run(Services(db=db, store=store), lambda h: _cards(h, QUERIES))
    assert "Order #1020" in block_texts({"blocks": local_cards[0]})
    assert shopify_cards == local_cards


def test_pick_lists_and_misses_match_on_both_stores(db: Database) -> None:
    seed_demo_orders(db)

    def pick_then_miss(h: SlackHarness) -> tuple[list[str], str, str]:
        h.command("/order", "jani berz")
        [pick] = h.responses()
        buttons = [b["accessory"]["text"]["text"] for b in pick["blocks"] if "accessory" in b]
        h.click(
            {"ts": "1.0", "blocks": pick["blocks"]},
            ActionId.PICK_ORDER,
            value=pick["blocks"][1]["accessory"]["value"],
            ephemeral=True,
        )
        [card] = h.posted()
        h.command("/order", "#9999")
        return buttons, block_texts(card), h.responses()[-1]["text"]

    local = _run(Services(db=db, store=LocalStore(db)), pick_then_miss)
    with shopify() as (_fake, store):
        remote = _run(Services(db=db, store=store), pick_then_miss)
    assert local[0] == remote[0] == ["Show #1024", "Show #1001"]
    assert local[1] == remote[1]
    assert "No order found for order number #9999 in the local store" in local[2]
    assert "No order found for order number #9999 in Shopify (returnbot-demo.myshopify.com)" in remote[2]


def test_the_shell_shows_the_same_card_with_store_shopify(tmp_path: Path) -> None:
    def shell(env: dict[str, str]) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "bot.main.cli", "shell"], input="/order #1020\n/order jani berz\n2\n",
            cwd=tmp_path, env={**CLEAN, **env}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split("\n", 2)[2]  # past the greeting, which names the store

    local = shell({})
    with shopify() as (fake, _store):
        remote = shell(
            {"STORE": "shopify", "SHOPIFY_SHOP": fake.shop_domain, "SHOPIFY_ACCESS_TOKEN": fake.access_token,
             "SHOPIFY_ADMIN_URL": fake.admin_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'shopify.db'}"}
        )  # fmt: skip
    assert "ORDER #1020" in local and "ORDER #1001" in local
    assert remote == local


@pytest.mark.parametrize("token", ["shpat_wrong"])
def test_a_wrong_shopify_token_reaches_the_agent_in_words(db: Database, token: str) -> None:
    with shopify() as (fake, _store):
        from integrations.shopify.client import ShopifyClient
        from integrations.shopify.store import ShopifyStore
        from tests.shopify_env import FAST

        bad = ShopifyStore(ShopifyClient(fake.admin_url, token, policy=FAST), fake.shop_domain)
        harness = start_harness(Services(db=db, store=bad))
        try:
            harness.command("/order", "#1020")
            [reply] = harness.responses()
            assert "Shopify refused the access token" in reply["text"]
            assert harness.posted() == []
        finally:
            harness.close()
