"""The return form within Slack's limits, and nothing decisive taken from what the client sends back:
at most 100 options in a menu, metadata of ids only (under 3,000 characters for the biggest form), a forged
form refused, customer and shop words escaped wherever they reach mrkdwn."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.common.ids import ActionId, CallbackId, ReturnMenu, item_block_id
from bot.returns.flow import form_meta
from bot.returns.form import ReturnFormMeta
from bot.returns.modals import return_modal
from bot.shell.standin import initial_values, interactive_form, state_value, validate_view, view_submission_payload
from commands import returns
from commands.services import ReturnSettings, Services
from domain.carrier import Label
from domain.money import Money
from domain.orders import Address, FinancialStatus, FulfillmentStatus, LineItem, Order, OrderRef
from integrations.carriers.local import LocalCarrier
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import SmtpMailer
from storage.db import Database
from storage.models import LineItemRow, OrderRow, ReturnCaseRow
from storage.serials import next_serial
from tests.slack_harness import AGENT, CHANNEL, SlackHarness, block_texts, start_harness
from tests.smtp_sink import smtp_sink
from tests.test_return_labels_slack import card_for, choose
from tests.test_returns_workflow import WAREHOUSE

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def local_slack(db: Database) -> Iterator[SlackHarness]:
    """The bot on the local store, whose orders a test may change in the database first."""
    seed_demo_orders(db)
    with smtp_sink() as (url, _sink):
        services = Services(
            db=db, store=LocalStore(db), clock=lambda: NOW,
            carrier=LocalCarrier(lambda: next_serial(db, "tracking", NOW)), mailer=SmtpMailer(url),
            returns=ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo"),
        )  # fmt: skip
        harness = start_harness(services)
        yield harness
        harness.close()
        harness.fake.assert_no_errors()


def the_form(slack: SlackHarness, order: str) -> dict[str, Any]:
    choose(slack, card_for(slack, order), ReturnMenu.EDIT)
    form = slack.fake.calls_to("views.update")[-1].response["view"]
    assert form["callback_id"] == CallbackId.RETURN_MODAL
    return form


def submit(slack: SlackHarness, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    response = slack.post(interactive_form(view_submission_payload(AGENT, view, values)))
    slack.settle()
    assert response.status_code == 200
    return response.json() if response.content else {}


def static_selects(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b["element"] for b in view["blocks"] if b.get("element", {}).get("type") == "static_select"]


def case_items(db: Database) -> list[list[dict[str, Any]]]:
    with db.session() as s:
        return [list(items) for items in s.scalars(select(ReturnCaseRow.items).order_by(ReturnCaseRow.id))]


# -- Slack's limits ----------------------------------------------------------------------------------------


def test_the_biggest_return_form_fits_in_slack() -> None:
    """20 lines (the most the form shows) with long non-ASCII names and Shopify's long ids."""
    euro = Money(Decimal("19.90"), "EUR")
    lines = tuple(
        LineItem(
            id=f"gid://shopify/LineItem/{1_000_000_000_000 + n}",
            name=f"Ļoti silta vilnas jaka “Kaamos” ar kapuci — izmērs XL, krāsa tumši zaļa Nr. {n}",
            sku=f"KAAMOS-ĀŽ-{n:04d}",
            quantity=250 if n % 2 else 99,
            unit_price=euro,
            fulfillment_status=FulfillmentStatus.FULFILLED,
        )
        for n in range(24)
    )
    order = Order(
        ref=OrderRef("gid://shopify/Order/7700000000001", "#1001"), created_at=NOW, customer_name="Jānis Bērziņš",
        email="janis@example.lv", phone="", currency="EUR", subtotal=euro, shipping=euro, taxes=euro,
        discounts=euro, total=euro, refunded=euro, financial_status=FinancialStatus.PAID,
        fulfillment_status=FulfillmentStatus.FULFILLED,
        shipping_address=Address(name="Jānis Bērziņš", address1="Brīvības iela 1", city="Rīga", zip="LV-1010",
                                 country="LV"),
        billing_address=Address(), line_items=lines,
    )  # fmt: skip
    items = tuple(returns.Returnable(li.id, li.name, li.sku, li.quantity, li.quantity) for li in lines)
    draft = returns.ReturnDraft(order, items, order.shipping_address, WAREHOUSE, "lv")
    meta = form_meta(draft, CHANNEL, "1700000000.000100")

    view = return_modal(draft, returns.default_form(draft), meta)

    validate_view(view)
    assert len(view["private_metadata"]) < 3000
    assert ReturnFormMeta.from_json(view["private_metadata"]) == meta
    assert len(meta.item_ids) == 20 and set(meta.item_ids) <= {li.id for li in lines}
    assert all(len(select["options"]) <= 100 for select in static_selects(view))
    typed = [b["element"] for b in view["blocks"] if b.get("element", {}).get("type") == "number_input"]
    assert len(typed) == 10 and typed[0]["max_value"] == "250"  # 251 choices would not fit a menu
    assert len([s for s in static_selects(view) if s["action_id"] == ActionId.RETURN_ITEM_QUANTITY]) == 10


def test_a_quantity_over_99_is_typed_and_checked_against_the_order(local_slack: SlackHarness) -> None:
    db = local_slack.services.db
    with db.session(write=True) as s:
        order_id = s.scalar(select(OrderRow.id).where(OrderRow.name == "#1009"))
        first = s.scalar(select(LineItemRow.id).where(LineItemRow.order_id == order_id).order_by(LineItemRow.position))
        s.execute(update(LineItemRow).where(LineItemRow.id == first).values(quantity=150))
    form = the_form(local_slack, "#1009")
    assert all(len(select["options"]) <= 100 for select in static_selects(form))
    block = next(b for b in form["blocks"] if b.get("block_id") == item_block_id(0, "qty"))
    assert block["element"]["type"] == "number_input" and block["element"]["max_value"] == "150"
    values = initial_values(form)

    def quantity(text: str) -> dict[str, Any]:
        return {**values, item_block_id(0, "qty"): {ActionId.RETURN_ITEM_QUANTITY: state_value(block["element"], text)}}

    assert submit(local_slack, form, quantity("1.5"))["errors"] == {
        item_block_id(0, "qty"): "Enter a whole number of items."
    }
    # past the field's maximum (a client that ignores it): checked on the worker, against the order read again
    assert submit(local_slack, form, quantity("151"))["response_action"] == "update"
    again = local_slack.fake.views[form["id"]]
    assert again["callback_id"] == CallbackId.RETURN_MODAL and "At most 150 ×" in block_texts(again)
    assert case_items(db) == [] and local_slack.fake.files == []

    assert submit(local_slack, again, {**initial_values(again), **quantity("120")})["response_action"] == "update"
    [items] = case_items(db)
    assert items[0]["line_item_id"] == str(first) and items[0]["quantity"] == 120
    assert [f.filename for f in local_slack.fake.files] == ["return-label-R1009-1.pdf"]


# -- nothing decisive from the client ------------------------------------------------------------------


def test_forged_form_metadata_is_refused(local_slack: SlackHarness) -> None:
    form = the_form(local_slack, "#1009")
    values = initial_values(form)

    for garbage in ("", "not json", "[]", '{"order_id": 1}', json.dumps({"order_id": "1", "channel": CHANNEL})):
        answer = submit(local_slack, {**form, "private_metadata": garbage}, values)
        assert answer["response_action"] == "update"
        assert "could not be read" in block_texts(answer["view"])

    # well formed, but naming another order: the items are checked against that order, read again
    with local_slack.services.db.session() as s:
        other_order = str(s.scalar(select(OrderRow.id).where(OrderRow.name == "#1013")))
    forged = replace(ReturnFormMeta.from_json(form["private_metadata"]), order_id=other_order).to_json()
    assert submit(local_slack, {**form, "private_metadata": forged}, values)["response_action"] == "update"
    assert "Choose items from the order." in block_texts(local_slack.fake.views[form["id"]])
    assert case_items(local_slack.services.db) == [] and local_slack.fake.files == []


# -- customer and shop words in mrkdwn -------------------------------------------------------------------


def test_customer_and_shop_words_are_escaped_and_only_http_tracking_is_linked(local_slack: SlackHarness) -> None:
    db = local_slack.services.db
    with db.session(write=True) as s:
        s.execute(update(OrderRow).where(OrderRow.name == "#1013").values(name="#1013 <!channel>"))
        order_id = s.scalar(select(OrderRow.id).where(OrderRow.name == "#1013 <!channel>"))
        s.execute(
            update(LineItemRow).where(LineItemRow.order_id == order_id).values(name="Cap <https://evil.example|Verify>")
        )
    real = local_slack.services.carrier
    assert real is not None

    class Spoofing:
        """A carrier whose answer carries markup and a javascript: URL."""

        name = "local"

        def create_return_shipment(self, request: Any) -> Label:
            label = real.create_return_shipment(request)
            return replace(label, tracking_url="javascript:alert(1)//<!here>")

        def void(self, tracking_number: str) -> None:
            real.void(tracking_number)

        def __getattr__(self, name: str) -> Any:  # the rest of the Carrier protocol: the real carrier's
            return getattr(real, name)

    local_slack.services.carrier = Spoofing()  # type: ignore[assignment]
    local_slack.command("/return", "#1013 instant")
    local_slack.command("/returns", "")

    said = [c.args for c in local_slack.fake.calls_to("chat.postMessage") + local_slack.fake.calls_to("chat.update")]
    said += [c.args for c in local_slack.fake.calls_to("response_url")]
    assert len(local_slack.fake.files) == 1
    for text in (t for message in said for t in mrkdwn(message)):
        assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text, text
        assert "<javascript:" not in text, text
    status = next(m for m in said if "Return *R1013channel-1*" in json.dumps(m.get("blocks")))
    assert "&lt;!channel&gt;" in block_texts(status)
    assert "`RB" in block_texts(status)  # the tracking number as code, not a link


def mrkdwn(node: Any) -> Iterator[str]:
    """Every text Slack parses as mrkdwn: a message's `text`, and each mrkdwn text object in its blocks."""
    if isinstance(node, dict):
        if isinstance(node.get("text"), str) and node.get("type") in (None, "mrkdwn"):
            yield node["text"]
        for value in node.values():
            if isinstance(value, dict | list):
                yield from mrkdwn(value)
    elif isinstance(node, list):
        for item in node:
            yield from mrkdwn(item)
