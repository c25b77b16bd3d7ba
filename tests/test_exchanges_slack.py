"""Exchanges end to end: signed Slack requests into the bot, the fake Slack, the store (local and Shopify) and the
databases (SQLite and PostgreSQL). The agent chooses "exchange for" another variant in the return form; nothing is
shipped until the return is marked received, which makes one replacement order (total 0.00, tagged with the return);
a team lead's Ship now ships it before, and the receipt then makes none; anyone else's Ship now is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.common.ids import ActionId, BlockId, CallbackId, ReturnMenu, item_block_id, receipt_block_id
from bot.shell.standin import (
    block_actions_payload,
    initial_values,
    interactive_form,
    signed_headers,
    view_submission_payload,
)
from commands import return_lifecycle, returns
from commands.services import Services
from domain.orders import Fulfillment, Order, OrderQuery, SearchKind
from domain.refunds import RefundStatus, RequestKind
from domain.vocabulary import LabelStatus, ReturnStatus
from integrations.local_store.seed import seed_demo_orders
from integrations.shopify.standin.returns import install_returns
from integrations.shopify.standin.server import FakeShopify
from storage import carrier_scans
from storage import refunds as states
from storage.db import Database
from tests.lifecycle_env import make_services
from tests.made_orders import orders_tagged
from tests.shopify_env import shopify
from tests.slack_harness import AGENT, CHANNEL, LEAD, LEAD2, SIGNING_SECRET, SlackHarness, block_texts
from tests.smtp_sink import Sink, smtp_sink
from tests.test_lifecycle_slack import Bot, receipt_form, start_bot, status_message, submit

SHOPS: dict[int, FakeShopify] = {}  # the stand-in behind a ShopifyStore, for what the shop's admin does


@pytest.fixture(params=["local", "shopify"])
def bot(request: pytest.FixtureRequest, db: Database, tmp_path: Path) -> Iterator[Bot]:
    with smtp_sink() as (_url, sink):
        if request.param == "local":
            yield from _started(make_services(db, tmp_path), sink)
            return
        seed_demo_orders(db)
        with shopify() as (fake, store):
            install_returns(fake)
            SHOPS[id(store)] = fake
            yield from _started(make_services(db, tmp_path, store=store), sink)
            del SHOPS[id(store)]


def _started(services: Services, sink: Sink) -> Iterator[Bot]:
    started = start_bot(services, sink)
    yield started
    started.slack.close()
    started.slack.fake.assert_no_errors()


# -- driving Slack -----------------------------------------------------------------------------------------------


def return_with_exchange(
    bot: Bot, order: str = "#1001", typed: str = "socks 40", *, kept: tuple[int, ...] = (0,)
) -> tuple[dict[str, Any], str]:
    """The return form from the card: the socks (second line) come back, exchanged for the first variant the picker
    offers for `typed`; the lines `kept` (the jacket) stay with the customer. (The card, the RMA.)"""
    slack = bot.slack
    slack.command("/order", order)
    card = slack.posted()[-1]
    menu = next(b for b in card["blocks"] if b.get("block_id") == BlockId.ORDER_ACTIONS)["elements"][0]
    option = next(o for o in menu["options"] if o["value"].startswith(ReturnMenu.EDIT))
    url = slack.fake.response_url(channel=CHANNEL, message_ts=card["ts"], user=AGENT)
    slack.post(interactive_form(block_actions_payload(AGENT, CHANNEL, card, menu, url, selected_option=option)))
    slack.settle()
    form = slack.fake.calls_to("views.update")[-1].response["view"]
    assert form["callback_id"] == CallbackId.RETURN_MODAL
    offered = suggestions(slack, form, typed)
    assert offered, typed
    values = initial_values(form)
    for index in kept:
        values[item_block_id(index, "qty")] = {ActionId.RETURN_ITEM_QUANTITY: {"type": "number_input", "value": "0"}}
    values[item_block_id(1, "exchange")] = {
        ActionId.REPLACE_VARIANT: {"type": "external_select", "selected_option": offered[0]}
    }
    body = interactive_form(view_submission_payload(AGENT, form, values))
    response = slack.post(body, headers=signed_headers(SIGNING_SECRET, body))
    slack.settle()
    assert response.json()["response_action"] == "update", response.text
    assert "has its label" in block_texts(slack.fake.views[form["id"]])
    [case] = returns.cases_for_order(bot.services.db, order_of(bot, order).ref.id)
    return card, case.rma


def suggestions(slack: SlackHarness, view: dict[str, Any], typed: str) -> list[dict[str, Any]]:
    """The exchange picker's options for the second item: the replacements' own options handler."""
    return slack.suggest(view, ActionId.REPLACE_VARIANT, item_block_id(1, "exchange"), typed)


def order_of(bot: Bot, name: str) -> Order:
    store = bot.services.store
    found = store.find_orders(OrderQuery(SearchKind.NUMBER, name.lstrip("#")), 1)
    order = store.get_order(found[0].ref.id)
    assert order is not None
    return order


def exchange_orders(bot: Bot, rma: str) -> list[Order]:
    """Orders tagged as this return's exchange."""
    return orders_tagged(bot.services.store, f"exchange-for-{rma.lower()}")


def replacement_requests(bot: Bot) -> list[states.RefundRequestView]:
    return [r for status in RefundStatus for r in states.with_status(bot.services.db, status)
            if r.kind is RequestKind.REPLACEMENT]  # fmt: skip


def thread_text(bot: Bot, card: dict[str, Any]) -> str:
    return "\n".join(block_texts(m) for m in bot.slack.fake.thread(CHANNEL, card["ts"])[1:])


def said(bot: Bot, card: dict[str, Any], words: str) -> int:
    """How many messages of the thread say `words`."""
    return sum(words in block_texts(m) for m in bot.slack.fake.thread(CHANNEL, card["ts"])[1:])


def mark_received(bot: Bot, card: dict[str, Any]) -> None:
    bot.slack.click(status_message(bot, card), ActionId.RETURN_RECEIVE, user=LEAD2)
    assert submit(bot, receipt_form(bot)).json()["response_action"] == "update"


# -- the tests ---------------------------------------------------------------------------------------------------


def test_an_exchange_ships_once_when_its_return_is_received(bot: Bot) -> None:
    card, rma = return_with_exchange(bot)
    status = block_texts(status_message(bot, card))
    assert "Exchange:" in status and "Socks 3-pack - 40-42 (ships when it is received)" in status
    assert exchange_orders(bot, rma) == [] and replacement_requests(bot) == []  # nothing shipped before receipt

    mark_received(bot, card)
    [made] = exchange_orders(bot, rma)
    assert made.total.amount == 0
    assert {"replacement", "replacement-for-1001", "exchange", f"exchange-for-{rma.lower()}"} <= set(made.tags)
    [exchanged] = returns.get_case(bot.services.db, rma).exchange  # every pair that came back, as the new variant
    assert [(li.name, li.quantity) for li in made.line_items] == [("Wool Hiking Socks 3-pack - 40-42",
                                                                   exchanged["quantity"])]  # fmt: skip
    assert f"Replacement {made.name} created for #1001 (exchange for {rma})" in thread_text(bot, card)
    assert f"exchange for return {rma}" in order_of(bot, "#1001").note
    [request] = replacement_requests(bot)
    assert request.status is RefundStatus.SUCCEEDED and request.amount == 0

    # the receipt's follow-up runs again (the scheduler): it finds the request, and makes nothing more
    return_lifecycle.follow_up(bot.services, rma)
    assert len(exchange_orders(bot, rma)) == 1 and len(replacement_requests(bot)) == 1
    assert said(bot, card, f"Replacement {made.name} created") == 1


def test_ship_now_by_a_lead_ships_before_the_return_and_the_receipt_makes_none(bot: Bot) -> None:
    card, rma = return_with_exchange(bot, "#1001")
    bot.slack.click(status_message(bot, card), ActionId.EXCHANGE_SHIP_NOW, user=AGENT)  # not a team lead
    assert "Only a team lead can ship an exchange" in bot.slack.responses()[-1]["text"]
    assert exchange_orders(bot, rma) == [] and replacement_requests(bot) == []

    bot.slack.click(status_message(bot, card), ActionId.EXCHANGE_SHIP_NOW, user=LEAD)
    [made] = exchange_orders(bot, rma)
    assert made.total.amount == 0 and "replacement" in made.tags
    assert f"Replacement {made.name} created for #1001 (exchange for {rma})" in thread_text(bot, card)
    assert returns.get_case(bot.services.db, rma).status is not ReturnStatus.RECEIVED
    assert not any(  # the button is gone from the return's message
        e.get("action_id") == ActionId.EXCHANGE_SHIP_NOW
        for b in status_message(bot, card)["blocks"] for e in b.get("elements", [])
    )  # fmt: skip

    mark_received(bot, card)
    assert returns.get_case(bot.services.db, rma).status is ReturnStatus.RECEIVED
    assert len(exchange_orders(bot, rma)) == 1 and len(replacement_requests(bot)) == 1
    assert said(bot, card, f"Replacement {made.name} created") == 1


def test_an_exchange_the_store_cannot_make_is_told_in_the_thread_with_retry(bot: Bot) -> None:
    card, rma = return_with_exchange(bot, "#1001")
    # the variant vanishes before the parcel is back: the store refuses, the thread says so with Retry
    case = returns.get_case(bot.services.db, rma)
    gone = "gid://shopify/ProductVariant/999999" if bot.services.store.kind == "shopify" else "sku:NO-SUCH-SKU"
    with bot.services.db.session(write=True) as s:
        from storage.models import ReturnCaseRow

        row = s.query(ReturnCaseRow).filter_by(rma=rma).one()
        row.exchange = [dict(case.exchange[0], variant_id=gone)]
    mark_received(bot, card)
    assert exchange_orders(bot, rma) == []
    [request] = replacement_requests(bot)
    assert request.status is RefundStatus.FAILED and request.failure
    refused = [m for m in bot.slack.fake.thread(CHANNEL, card["ts"]) if "Retry" in json.dumps(m.get("blocks"))]
    assert refused, thread_text(bot, card)  # the replacement's own failure message, with its Retry button


def cancel_in_the_shop(bot: Bot, name: str) -> None:
    """The order cancelled behind the bot's back (the shop's admin), however it was fulfilled."""
    order = order_of(bot, name)
    fake = SHOPS.get(id(bot.services.store))
    if fake is not None:
        fake.data.nodes[order.ref.id]["cancelledAt"] = "2026-11-20T10:00:00Z"
        return
    with bot.services.db.session(write=True) as s:
        from storage.models import OrderRow

        s.get(OrderRow, int(order.ref.id)).cancelled_at = datetime(2026, 11, 20, 10, tzinfo=UTC)


def test_an_exchange_the_order_can_no_longer_have_is_said_at_receipt_and_not_retried(bot: Bot) -> None:
    card, rma = return_with_exchange(bot, "#1001")
    cancel_in_the_shop(bot, "#1001")
    mark_received(bot, card)
    assert exchange_orders(bot, rma) == [] and replacement_requests(bot) == []
    told = "The exchange was not sent: Order #1001 was cancelled"
    assert said(bot, card, told) == 1, thread_text(bot, card)
    answered = bot.slack.fake.calls_to("views.update")[-1].response["view"]  # the person who received it is told
    assert told in block_texts(answered)
    # the scheduler's follow-up says the same and makes nothing; it is not a failure to retry
    again = return_lifecycle.follow_up(bot.services, rma)
    assert again.problem == "" and again.refused.startswith(told)
    assert replacement_requests(bot) == []


def ship_in_the_shop(bot: Bot, order: Order, parcel: Fulfillment) -> None:
    """The warehouse ships the order and the shop records it (a fulfillment with tracking)."""
    fake = SHOPS.get(id(bot.services.store))
    if fake is not None:
        fake.ship(order.ref.id, parcel)
        return
    with bot.services.db.session(write=True) as s:
        from storage.models import FulfillmentRow

        s.add(FulfillmentRow(order_id=int(order.ref.id), tracking_number=parcel.tracking_number,
                             tracking_company=parcel.tracking_company, tracking_url=parcel.tracking_url))  # fmt: skip


def test_a_replacement_s_tracking_is_told_in_the_thread_once_it_has_shipped(bot: Bot) -> None:
    card, rma = return_with_exchange(bot, "#1001")
    bot.slack.click(status_message(bot, card), ActionId.EXCHANGE_SHIP_NOW, user=LEAD)
    [made] = exchange_orders(bot, rma)
    shipped = f"Replacement {made.name} for #1001 has shipped"

    bot.tick(hours=1)  # the first look: not shipped yet, looked at again later
    assert said(bot, card, shipped) == 0
    parcel = Fulfillment(id="", tracking_number="00370712345678901234", tracking_company="PostNord",
                         tracking_url="https://tracking.postnord.com/fi/?id=00370712345678901234")  # fmt: skip
    ship_in_the_shop(bot, made, parcel)
    bot.tick(hours=1)  # not due yet: nothing read, nothing said
    assert said(bot, card, shipped) == 0
    bot.tick(hours=3)
    assert said(bot, card, shipped) == 1
    text = thread_text(bot, card)
    assert f"PostNord <{parcel.tracking_url}|{parcel.tracking_number}>" in text, text
    bot.tick(hours=3)
    bot.tick(days=2)
    assert said(bot, card, shipped) == 1  # said once


def test_only_the_units_that_came_back_are_exchanged(bot: Bot) -> None:
    card, rma = return_with_exchange(bot, "#1001")
    bot.slack.click(status_message(bot, card), ActionId.RETURN_RECEIVE, user=LEAD2)
    form = receipt_form(bot)
    socks = str(returns.get_case(bot.services.db, rma).exchange[0]["line_item_id"])
    values = initial_values(form)
    values[receipt_block_id(socks, "qty")][ActionId.RECEIPT_QUANTITY]["selected_option"]["value"] = "1"
    submit(bot, form, values)
    [made] = exchange_orders(bot, rma)
    assert [(li.name, li.quantity) for li in made.line_items] == [("Wool Hiking Socks 3-pack - 40-42", 1)]
    assert said(bot, card, f"Replacement {made.name} created for #1001 (exchange for {rma})") == 1


def test_the_carriers_delivery_ships_the_exchange_and_the_thread_says_so(bot: Bot) -> None:
    card, rma = return_with_exchange(bot, "#1001", kept=(0, 2))  # only the socks come back, all exchanged
    label = returns.get_case(bot.services.db, rma).label
    assert label is not None
    carrier_scans.record(bot.services.db, label.tracking_number, LabelStatus.DELIVERED, at=bot.services.clock())
    assert bot.tick(hours=1).received == 1
    case = returns.get_case(bot.services.db, rma)  # nothing is left to refund: settled by the exchange
    assert (case.status, case.resolution) == (ReturnStatus.RESOLVED, "exchange")
    [made] = exchange_orders(bot, rma)
    assert made.total.amount == 0
    assert said(bot, card, f"Replacement {made.name} created for #1001 (exchange for {rma})") == 1
    bot.tick(hours=1)  # the receipt's follow-up again: nothing more
    assert len(exchange_orders(bot, rma)) == 1 and len(replacement_requests(bot)) == 1
    assert said(bot, card, f"Replacement {made.name} created") == 1


def test_the_same_item_again_is_an_exchange_too(bot: Bot) -> None:
    card, rma = return_with_exchange(bot, "#1001", typed="socks 43")  # the variant that came back
    mark_received(bot, card)
    [made] = exchange_orders(bot, rma)
    assert [li.name for li in made.line_items] == ["Wool Hiking Socks 3-pack - 43-46"]
