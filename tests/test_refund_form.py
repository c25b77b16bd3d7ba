"""The refund form without I/O: `/refund <order> [amount] [currency]` read, the form checked, its metadata kept to
ids within Slack's 3,000 characters, and the modal within Slack's limits even for the biggest order."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from bot.common.ids import ActionId, BlockId, refund_line_block_id
from bot.refunds.form import MAX_MODAL_LINES, RefundFormMeta, read_form
from bot.refunds.form_view import refund_modal
from bot.shell.standin.validation import validate_view
from commands import refunds
from commands.errors import UserError
from commands.refund_form import Limits, RefundCommand, RefundForm, check_form, parse_command
from commands.services import Services
from domain.money import Money
from domain.orders import FulfillmentStatus, LineItem
from integrations.local_store.demo import demo_orders
from storage.db import Database
from tests.shopify_env import shopify

# -- `/refund <order> [amount] [currency]` -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("#1001", RefundCommand("#1001")),
        ("#1001 25", RefundCommand("#1001", Decimal(25))),
        ("1001 25,50", RefundCommand("1001", Decimal("25.50"))),
        ("#1003 25 DKK", RefundCommand("#1003", Decimal(25), "DKK")),
        ("#1001 12.50 eur", RefundCommand("#1001", Decimal("12.50"), "EUR")),
        ("#1001 25€", RefundCommand("#1001", Decimal(25))),
        ("#1001 25 €", RefundCommand("#1001", Decimal(25), "EUR")),
        ("Ann Lee", RefundCommand("Ann Lee")),  # a name ending in three letters is no currency
        ("Ann Lee 25", RefundCommand("Ann Lee", Decimal(25))),
        ("ann@example.com 9.90 SEK", RefundCommand("ann@example.com", Decimal("9.90"), "SEK")),
        ("CC403189111EE", RefundCommand("CC403189111EE")),
    ],
)
def test_the_command_is_an_order_then_an_amount_and_a_currency(text: str, command: RefundCommand) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "Say which order"),
        ("#1001 -5", "more than zero"),
        ("#1001 −5", "more than zero"),
        ("#1001 0", "more than zero"),
        ("#1001 abc", "“abc” is not an amount"),
        ("#1001 1e400", "is not an amount"),
        ("#1001 NaN", "is not an amount"),
        ("#1001 25 euros", "“euros” is not a currency"),
        ("#1001 25 EUR now", "at most an amount and a currency"),
        ("Ann Lee -5", "more than zero"),
    ],
)
def test_a_bad_amount_or_currency_is_said_as_such(text: str, said: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_command(text)
    assert said in caught.value.message and "No order" not in caught.value.message


def test_the_amount_is_checked_against_the_orders_currency() -> None:
    from commands.refund_form import check_command

    check_command(RefundCommand("#1003", Decimal(25), "DKK"), "#1003", "DKK")
    with pytest.raises(UserError, match="paid in DKK, not EUR"):
        check_command(RefundCommand("#1003", Decimal(25), "EUR"), "#1003", "DKK")
    with pytest.raises(UserError, match="JPY has 0 decimals"):
        check_command(RefundCommand("#1", Decimal("2.5")), "#1", "JPY")


# -- the form checked --------------------------------------------------------------------------------

LIMITS = Limits("EUR", {"L1": (2, "Socks")}, shipping=Decimal("4.90"), maximum=Decimal("100"))


def a_form(**changes: object) -> RefundForm:
    form = RefundForm(quantities={"L1": 0}, shipping=Decimal(0), restock=True, amount=None, reason="goodwill")
    return replace(form, **changes)  # type: ignore[arg-type]


def test_an_amount_alone_is_a_refund_with_a_reason() -> None:
    assert check_form(a_form(amount=Decimal(5)), LIMITS) == {}
    assert "Choose a reason" in check_form(a_form(amount=Decimal(5), reason=""), LIMITS)["reason"]
    assert "Choose at least one item" in check_form(a_form(), LIMITS)["lines"]
    assert "can still be refunded" in check_form(a_form(amount=Decimal("100.01")), LIMITS)["amount"]
    assert "2 decimals" in check_form(a_form(amount=Decimal("1.001")), LIMITS)["amount"]


def test_a_form_with_nothing_decided_from_the_client_but_ids() -> None:
    meta = RefundFormMeta(order_id="1", channel="C1", thread="1.2", lines="L1", currency="EUR", most="2",
                          shipping="4.90", maximum="100")  # fmt: skip
    values = {
        refund_line_block_id(0): {ActionId.REFUND_QUANTITY: {"type": "number_input", "value": "3"}},
        BlockId.F_REASON: {ActionId.REFUND_FIELD: {"type": "static_select", "selected_option": {"value": "damaged"}}},
    }
    form, errors = read_form(values, meta)
    assert form.quantities == {"L1": 3} and "Only 2 can still be refunded" in errors[refund_line_block_id(0)]
    with pytest.raises(ValueError):
        read_form(values, replace(meta, most="two"))


# -- Slack's limits, for the biggest form -------------------------------------------------------------


def test_the_biggest_refund_form_keeps_within_slacks_limits(db: Database) -> None:
    """A Shopify order of 25 lines with long non-ASCII names and quantities up to 250: the form shows 20 lines,
    quantities of 100 and more as number fields, and its metadata (ids only) stays far under 3,000 characters."""
    base = demo_orders()[0]  # #1001
    unit = Money(Decimal("12.34"), base.currency)
    lines = tuple(
        LineItem(f"big-{i}", f"Ūdensnecaurlaidīga jaka «Ziemeļblāzma» — izmērs XXL / krāsa tumši zaļa {i}", f"SKU-{i}",
                 250 if i % 2 else 7, unit, fulfillment_status=FulfillmentStatus.FULFILLED)
        for i in range(25)
    )  # fmt: skip
    paid = unit * sum(li.quantity for li in lines)
    big = replace(base, ref=replace(base.ref, id="big", name="#9876"), line_items=lines, subtotal=paid, total=paid,
                  fulfillments=())  # fmt: skip
    with shopify() as (fake, store):
        fake.add_order(big)
        services = Services(db=db, store=store)
        order = store.get_order(fake.order_gid("big"))
        assert order is not None
        opened = refunds.options_for(services, order)

        meta = RefundFormMeta.of(opened, "C0SUPPORT1", "1700000000.000100")
        view = refund_modal(opened, opened.form, opened.total, meta, auto_limit=Decimal(50))

        validate_view(view)  # as Slack checks it: blocks, options per select, the metadata's length
        text = view["private_metadata"]
        assert len(text) < 1500 and len(meta.line_ids) == MAX_MODAL_LINES
        assert "Ziemeļblāzma" not in text and "#9876" not in text  # ids, not names
        quantities = [b["element"] for b in view["blocks"] if b.get("block_id", "").startswith("f_line_")]
        assert {e["type"] for e in quantities} == {"number_input", "static_select"}
        assert all(len(e.get("options", [])) <= 100 for e in quantities)
        labels = [b["label"]["text"] for b in view["blocks"] if b.get("block_id", "").startswith("f_line_")]
        assert all("krāsa tumši zaļa" in label for label in labels)  # whole names, never cut mid-word


def test_metadata_at_its_worst_is_under_3000_characters() -> None:
    gid = "gid://shopify/LineItem/" + "9" * 19
    meta = RefundFormMeta(
        order_id="gid://shopify/Order/" + "9" * 19, channel="C" + "X" * 20, thread="1700000000.000100",
        lines=" ".join([gid] * MAX_MODAL_LINES), currency="EUR", most=" ".join(["9" * 9] * MAX_MODAL_LINES),
        shipping="9" * 14 + ".9999", maximum="9" * 14 + ".9999",
    )  # fmt: skip
    assert len(meta.to_json()) < 3000
    assert RefundFormMeta.from_json(meta.to_json()) == meta
    assert json.loads(meta.to_json()).keys() == {
        "order_id", "channel", "thread", "lines", "currency", "most", "shipping", "maximum",
    }  # fmt: skip
