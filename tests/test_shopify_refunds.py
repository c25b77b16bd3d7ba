"""Shopify refunds: quotes from suggestedRefund, and refundCreate that refunds at most once per idempotency key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

import httpx
import pytest

from domain.money import Money
from domain.orders import Order, OrderQuery, SearchKind
from domain.refunds import RefundChoice, RefundLineChoice, RefundPlan, RefundTransaction, RestockType
from domain.store import RefundOutcomeUnknown, RefundRefused, StoreError
from integrations.local_store.demo import demo_orders
from integrations.shopify.client import RetryPolicy, ShopifyClient
from integrations.shopify.documents import all_documents
from integrations.shopify.errors import ShopifyAccessDenied
from integrations.shopify.refunds import refund_input
from integrations.shopify.standin.refunds import refunds_applied
from integrations.shopify.standin.schema import validate_document
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.standin.values import Node
from integrations.shopify.store import ShopifyStore
from tests.shopify_env import FAST, shopify

KEY = "3f1c2b9e-8d4e-4f7a-9a51-6b1d2c3e4f5a"
DOCUMENTS = ("SuggestedRefund", "RefundCreate", "OrderLineItemsPage")
NO_PATIENCE = RetryPolicy(budget_seconds=0.05, base_backoff=0.01, max_backoff=0.05)


def eur(amount: str) -> Money:
    return Money.parse(amount, "EUR")


def order_number(store: ShopifyStore, number: str) -> Order:
    [summary] = store.find_orders(OrderQuery(SearchKind.NUMBER, number), limit=1)
    order = store.get_order(summary.ref.id)
    assert order is not None
    return order


def line(order: Order, index: int, quantity: int, restock: RestockType = RestockType.RETURN) -> RefundLineChoice:
    return RefundLineChoice(order.line_items[index].id, quantity, restock)


def plan_of(store: ShopifyStore, order: Order, choice: RefundChoice, note: str = "") -> RefundPlan:
    """The plan an approved request holds: the choice, and the payments Shopify suggested for it."""
    quote = store.refund_quote(order.ref.id, choice)
    return RefundPlan(order.ref.id, choice.lines, choice.shipping, quote.transactions, note=note)


def order_node(fake: FakeShopify, order: Order) -> Node:
    node = fake.find(order.ref.id)
    assert node is not None
    return node


def sale_of(fake: FakeShopify, order: Order) -> Node:
    [sale] = [t for t in order_node(fake, order)["_transactions"] if t["kind"] == "SALE"]
    return sale


@contextmanager
def impatient(fake: FakeShopify, policy: RetryPolicy = FAST) -> Iterator[ShopifyStore]:
    """A store whose client gives up on an answer quickly, so a timeout costs a test a fraction of a second."""
    client = ShopifyClient(fake.admin_url, fake.access_token, timeout=0.3, policy=policy)
    try:
        yield ShopifyStore(client, fake.shop_domain)
    finally:
        client.close()


# --- documents --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_refund_documents_are_valid_against_the_schema(name: str) -> None:
    assert validate_document(all_documents()[name].text) == []


def test_refund_create_carries_the_idempotency_key_shopify_requires() -> None:
    text = all_documents()["RefundCreate"].text
    assert "refundCreate(input: $input) @idempotent(key: $idempotencyKey)" in text


# --- quotes -----------------------------------------------------------------------------------------------------


def test_a_quote_prices_the_chosen_lines_and_lists_every_line() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        quote = store.refund_quote(order.ref.id, RefundChoice((line(order, 1, 1), line(order, 2, 1))))

        assert quote.currency == "EUR"
        rows = [(q.name, q.quantity, q.refundable_quantity, q.fulfilled_quantity, q.unit_refund) for q in quote.lines]
        assert rows == [
            ("Kaamos Down Jacket - M / Lingonberry", 1, 1, 1, eur("289.00")),
            ("Wool Hiking Socks 3-pack - 43-46", 2, 2, 2, eur("29.90")),
            ("Revontuli Beanie - One size / Aurora Green", 1, 1, 1, eur("34.00")),
        ]
        assert [q.line_item_id for q in quote.lines] == [li.id for li in order.line_items]
        assert quote.amount == eur("63.90")
        assert quote.maximum == eur("387.70")
        assert quote.shipping_refundable == eur("4.90")
        assert quote.transactions == (RefundTransaction("shopify_payments", eur("63.90"), sale_of(fake, order)["id"]),)
        assert fake.calls_named("RefundCreate") == []  # a quote never writes


@pytest.mark.parametrize(("asked", "quoted"), [("4.90", "4.90"), ("2.00", "2.00"), ("10.00", "4.90")])
def test_shipping_is_quoted_up_to_what_is_left_of_it(asked: str, quoted: str) -> None:
    with shopify() as (_fake, store):
        order = order_number(store, "1001")
        quote = store.refund_quote(order.ref.id, RefundChoice(shipping=Decimal(asked)))
        assert quote.amount == eur(quoted)
        assert quote.shipping_refundable == eur("4.90")


def test_asking_for_more_than_is_left_is_quoted_at_what_is_left() -> None:
    # Shopify answers over-asking with the capped amount; the refund itself would be refused
    with shopify() as (_fake, store):
        order = order_number(store, "1001")
        quote = store.refund_quote(order.ref.id, RefundChoice((line(order, 1, 5),)))
        assert quote.amount == eur("59.80")


def test_an_empty_choice_gives_the_ceilings_alone() -> None:
    with shopify() as (_fake, store):
        order = order_number(store, "1005")  # 79.00 of 218.90 refunded already
        quote = store.refund_quote(order.ref.id, RefundChoice())
        assert quote.amount == Money.zero("EUR")
        assert quote.transactions == ()
        assert quote.maximum == eur("139.90")
        assert quote.shipping_refundable == eur("5.90")
        assert len(quote.lines) == 3


def test_nothing_captured_means_nothing_to_give_back() -> None:
    with shopify() as (_fake, store):
        order = order_number(store, "1019")  # payment pending
        quote = store.refund_quote(order.ref.id, RefundChoice((line(order, 0, 1, RestockType.CANCEL),)))
        assert quote.maximum == Money.zero("EUR")
        assert quote.amount == Money.zero("EUR")
        assert quote.transactions == ()
        assert [(q.refundable_quantity, q.fulfilled_quantity) for q in quote.lines] == [(1, 0), (1, 0)]


def test_only_shipped_units_count_as_fulfilled() -> None:
    with shopify() as (_fake, store):
        order = order_number(store, "1017")  # the boots have not shipped
        quote = store.refund_quote(order.ref.id, RefundChoice())
        assert [q.fulfilled_quantity for q in quote.lines] == [2, 1, 0]


@pytest.mark.parametrize("order_id", ["gid://shopify/Order/999", "1001"])
def test_an_unknown_order_is_a_store_error_in_words(order_id: str) -> None:
    with shopify() as (_fake, store), pytest.raises(StoreError, match=r"Shopify could not find order .* to refund"):
        store.refund_quote(order_id, RefundChoice())


def test_a_quote_reads_every_page_of_line_items() -> None:
    base = demo_orders()[0]
    item = base.line_items[0]
    many = tuple(replace(item, id=f"x{i}", name=f"Sock {i}", sku=f"SOCK-{i}") for i in range(120))
    big = replace(base, line_items=(item, *many))
    with FakeShopify([big]) as fake, impatient(fake) as store:
        order_id = fake.order_gid(big)
        last = fake.line_item_gid(big, "x119")
        quote = store.refund_quote(order_id, RefundChoice((RefundLineChoice(last, 1, RestockType.RETURN),)))

        assert [q.name for q in quote.lines] == [item.name] + [f"Sock {i}" for i in range(120)]
        assert quote.lines[-1].refundable_quantity == 1 and quote.lines[-1].unit_refund == item.unit_price
        assert quote.amount == item.unit_price
        pages = fake.calls_named("OrderLineItemsPage")
        assert len(pages) == 2 and all(c.variables["refundable"] is True for c in pages)
        fake.assert_no_rejections()


def test_a_quote_after_a_refund_shows_what_is_left() -> None:
    with shopify() as (_fake, store):
        order = order_number(store, "1001")
        store.create_refund(
            plan_of(store, order, RefundChoice((line(order, 1, 1),), Decimal("4.90"))), idempotency_key=KEY
        )
        quote = store.refund_quote(order.ref.id, RefundChoice())
        assert [q.refundable_quantity for q in quote.lines] == [1, 1, 1]
        assert quote.shipping_refundable == Money.zero("EUR")
        assert quote.maximum == eur("352.90")


# --- refunding --------------------------------------------------------------------------------------------------


def test_a_refund_reaches_shopify_once_and_shows_everywhere() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 1, 1),), Decimal("4.90")), note="Approved by @lead")
        refund = store.create_refund(plan, idempotency_key=KEY)

        assert refund.id.startswith("gid://shopify/Refund/")
        assert refund.amount == eur("34.80")
        assert refunds_applied(fake, order.ref.id) == 1
        node = order_node(fake, order)
        [created] = [r for r in node["_refunds"] if r["id"] == refund.id]
        assert created["note"] == "Approved by @lead"
        [money_back] = created["_transactions"]
        assert (money_back["kind"], money_back["parentTransaction"]["id"]) == ("REFUND", sale_of(fake, order)["id"])
        assert node["displayFinancialStatus"] == "PARTIALLY_REFUNDED" and node["refundable"] is True

        [call] = fake.calls_named("RefundCreate")
        assert call.directives == {"idempotent": {"key": KEY}}
        assert call.variables == {"input": refund_input(plan), "idempotencyKey": KEY}
        again = store.get_order(order.ref.id)
        assert again is not None and again.refunded == eur("34.80")
        assert again.financial_status == "partially_refunded"


def test_an_amount_alone_goes_back_as_transactions_only() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        full = store.refund_quote(order.ref.id, RefundChoice(full=True))  # names the payments to refund to
        [payment] = full.transactions
        assert payment.parent_id == sale_of(fake, order)["id"] and full.amount == full.maximum
        plan = RefundPlan(order.ref.id, (), Decimal(0), (replace(payment, amount=eur("5.00")),), note="Goodwill")

        refund = store.create_refund(plan, idempotency_key=KEY)

        assert refund.amount == eur("5.00")
        [call] = fake.calls_named("RefundCreate")  # the fake executes it against Shopify's schema
        assert "refundLineItems" not in call.variables["input"] and "shipping" not in call.variables["input"]
        assert [t["amount"] for t in call.variables["input"]["transactions"]] == ["5"]
        quote = store.refund_quote(order.ref.id, RefundChoice())
        assert quote.maximum == full.maximum - eur("5.00")
        assert [q.refundable_quantity for q in quote.lines] == [q.refundable_quantity for q in full.lines]
        too_much = replace(plan, transactions=(replace(payment, amount=quote.maximum + eur("0.01")),))
        with pytest.raises(RefundRefused):
            store.create_refund(too_much, idempotency_key=KEY + "-2")


def test_refunding_everything_leaves_nothing_to_refund() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1002")
        everything = RefundChoice((line(order, 0, 1), line(order, 1, 1)), Decimal("3.90"))
        refund = store.create_refund(plan_of(store, order, everything), idempotency_key=KEY)

        assert refund.amount == eur("221.90")
        node = order_node(fake, order)
        assert node["displayFinancialStatus"] == "REFUNDED" and node["refundable"] is False
        quote = store.refund_quote(order.ref.id, RefundChoice())
        assert quote.maximum == Money.zero("EUR")
        assert [q.refundable_quantity for q in quote.lines] == [0, 0]


def test_cancelling_unshipped_units_takes_them_out_of_fulfilment() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1023")  # paid, nothing shipped
        socks = RefundChoice((line(order, 1, 1, RestockType.CANCEL),))
        store.create_refund(plan_of(store, order, socks), idempotency_key=KEY)
        [_, item] = order_node(fake, order)["_lineItems"]
        assert (item["refundableQuantity"], item["currentQuantity"], item["unfulfilledQuantity"]) == (1, 1, 1)


def test_the_same_key_twice_is_one_refund() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 2, 1),)))
        first = store.create_refund(plan, idempotency_key=KEY)
        second = store.create_refund(plan, idempotency_key=KEY)

        assert second == first
        assert refunds_applied(fake, order.ref.id) == 1
        calls = fake.calls_named("RefundCreate")
        assert len(calls) == 2 and calls[0].variables == calls[1].variables


def test_a_plan_read_back_with_other_decimals_is_the_same_request() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 1, 1),), Decimal("4.9")))
        # as a NUMERIC(12, 4) column gives it back
        payments = tuple(
            replace(t, amount=Money(t.amount.amount.quantize(Decimal("0.0001")), "EUR")) for t in plan.transactions
        )
        stored = replace(plan, shipping=Decimal("4.9000"), transactions=payments)
        first = store.create_refund(plan, idempotency_key=KEY)
        assert store.create_refund(stored, idempotency_key=KEY) == first
        assert refunds_applied(fake, order.ref.id) == 1


def test_a_key_reused_with_other_parameters_is_refused() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        store.create_refund(plan_of(store, order, RefundChoice((line(order, 2, 1),))), idempotency_key=KEY)
        other = plan_of(store, order, RefundChoice((line(order, 0, 1),)))
        with pytest.raises(RefundRefused, match="same idempotency key cannot be used with different operation"):
            store.create_refund(other, idempotency_key=KEY)
        assert refunds_applied(fake, order.ref.id) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("quantity", "Cannot refund more items than were purchased: 2 of Wool Hiking Socks"),
        ("amount", "cannot exceed the 387.70 EUR refundable on this payment"),
    ],
)
def test_more_than_shopify_can_give_back_is_refused_and_nothing_moves(change: str, words: str) -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 1, 2),)))
        if change == "quantity":
            plan = replace(plan, lines=(line(order, 1, 3),))
        else:
            [payment] = plan.transactions
            plan = replace(plan, transactions=(replace(payment, amount=eur("400.00")),))
        with pytest.raises(RefundRefused, match=words):
            store.create_refund(plan, idempotency_key=KEY)

        assert refunds_applied(fake, order.ref.id) == 0
        node = order_node(fake, order)
        assert node["_refunds"] == [] and node["displayFinancialStatus"] == "PAID"
        assert [li["refundableQuantity"] for li in node["_lineItems"]] == [1, 2, 1]


def test_a_refund_applied_before_a_timeout_is_not_applied_again() -> None:
    with shopify() as (fake, _store), impatient(fake) as store:
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 2, 1),)))
        fake.fail_next("apply_then_timeout", operation="RefundCreate")
        refund = store.create_refund(plan, idempotency_key=KEY)  # the client retried with the same key

        assert refunds_applied(fake, order.ref.id) == 1
        assert [r["id"] for r in order_node(fake, order)["_refunds"]] == [refund.id]
        calls = fake.calls_named("RefundCreate")
        assert [c.outcome for c in calls] == ["apply_then_timeout", "ok"]
        assert all(c.variables == {"input": refund_input(plan), "idempotencyKey": KEY} for c in calls)


def test_an_unconfirmed_refund_can_be_retried_with_its_key() -> None:
    with shopify() as (fake, store), impatient(fake, policy=NO_PATIENCE) as hasty:
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 2, 1),)))
        fake.fail_next("apply_then_timeout", operation="RefundCreate")
        with pytest.raises(RefundOutcomeUnknown, match=r"did not confirm the refund.*same key never refunds twice"):
            hasty.create_refund(plan, idempotency_key=KEY)
        assert refunds_applied(fake, order.ref.id) == 1  # it did happen

        refund = store.create_refund(plan, idempotency_key=KEY)  # the workflow's retry, later
        assert [r["id"] for r in order_node(fake, order)["_refunds"]] == [refund.id]
        assert refunds_applied(fake, order.ref.id) == 1


def test_a_server_error_is_retried_with_the_same_key() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 2, 1),)))
        fake.fail_next("500", operation="RefundCreate")
        store.create_refund(plan, idempotency_key=KEY)

        calls = fake.calls_named("RefundCreate")
        assert [c.outcome for c in calls] == ["500", "ok"]
        assert calls[0].variables == calls[1].variables
        assert refunds_applied(fake, order.ref.id) == 1


def test_a_request_still_running_under_the_key_is_an_unknown_outcome() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 2, 1),)))
        busy = {"field": None, "message": "This request is currently in progress, please try again."}
        fake.mutations["refundCreate"] = lambda _args, _directives: {"refund": None, "userErrors": [busy]}
        with pytest.raises(RefundOutcomeUnknown):
            store.create_refund(plan, idempotency_key=KEY)


def test_a_missing_scope_keeps_its_own_words() -> None:
    with shopify(scopes=("read_orders", "read_all_orders", "read_customers")) as (fake, store):
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 2, 1),)))
        with pytest.raises(ShopifyAccessDenied, match="write_orders"):
            store.create_refund(plan, idempotency_key=KEY)
        assert refunds_applied(fake, order.ref.id) == 0


def test_a_blank_key_is_never_sent() -> None:
    with shopify() as (fake, store):
        order = order_number(store, "1001")
        plan = plan_of(store, order, RefundChoice((line(order, 2, 1),)))
        with pytest.raises(ValueError, match="idempotency key"):
            store.create_refund(plan, idempotency_key="  ")
        assert fake.calls_named("RefundCreate") == []


# --- the input, from the plan alone -----------------------------------------------------------------------------


def test_the_refund_input_is_the_plan_and_nothing_else() -> None:
    payment = RefundTransaction("shopify_payments", eur("29.90"), "gid://shopify/OrderTransaction/1")
    plan = RefundPlan(
        "gid://shopify/Order/1",
        (RefundLineChoice("gid://shopify/LineItem/2", 1, RestockType.RETURN),),
        Decimal("4.90"),
        (payment, RefundTransaction("manual", eur("5"))),
        note="Too small",
        notify_customer=True,
    )
    assert refund_input(plan) == {
        "orderId": "gid://shopify/Order/1",
        "notify": True,
        "note": "Too small",
        "refundLineItems": [{"lineItemId": "gid://shopify/LineItem/2", "quantity": 1, "restockType": "RETURN"}],
        "shipping": {"amount": "4.9"},
        "transactions": [
            {"orderId": "gid://shopify/Order/1", "parentId": "gid://shopify/OrderTransaction/1",
             "gateway": "shopify_payments", "kind": "REFUND", "amount": "29.9"},
            {"orderId": "gid://shopify/Order/1", "gateway": "manual", "kind": "REFUND", "amount": "5"},
        ],
    }  # fmt: skip
    bare = replace(plan, shipping=Decimal(0), note="", notify_customer=False)
    assert "shipping" not in refund_input(bare) and "note" not in refund_input(bare)


# --- the fake's suggestions -------------------------------------------------------------------------------------

SUGGEST = """query Suggest($id: ID!, $shipping: Boolean, $full: Boolean = false) {
  order(id: $id) {
    suggestedRefund(refundShipping: $shipping, suggestFullRefund: $full) {
      amountSet { shopMoney { amount } }
      shipping { amountSet { shopMoney { amount } } }
      refundLineItems { quantity lineItem { id } }
    }
  }
}"""


@pytest.mark.parametrize(
    ("arguments", "amount", "lines"), [({"shipping": True}, "4.9", 0), ({"full": True}, "387.7", 3)]
)
def test_the_fake_suggests_all_shipping_or_everything(arguments: dict[str, Any], amount: str, lines: int) -> None:
    with shopify() as (fake, _store):
        order_id = fake.order_gid(demo_orders()[0])
        body = httpx.post(
            fake.admin_url, headers=fake.headers, json={"query": SUGGEST, "variables": {"id": order_id, **arguments}}
        ).json()
        suggested = body["data"]["order"]["suggestedRefund"]
        assert suggested["amountSet"]["shopMoney"]["amount"] == amount
        assert suggested["shipping"]["amountSet"]["shopMoney"]["amount"] == "4.9"
        assert len(suggested["refundLineItems"]) == lines
