"""Shopify returns: returnCreate plus a reverse delivery with our tracking, safe to repeat and honest about failures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from domain.orders import Order, OrderQuery, SearchKind
from integrations.local_store.store import LocalStore
from integrations.shopify.documents import all_documents
from integrations.shopify.errors import ShopifyInvalidState, ShopifyNotFound
from integrations.shopify.returns import Returnable, allocate, returnable_items
from integrations.shopify.standin.returns import install_returns
from integrations.shopify.standin.schema import validate_document
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.standin.values import Node
from integrations.shopify.store import ShopifyStore
from storage.db import Database
from tests.shopify_env import shopify

TRACKING = "JJFI64832100000999001"
TRACKING_URL = f"https://www.posti.fi/en/tracking#/lahetys/{TRACKING}"
DOCUMENTS = ("ReturnState", "ReturnableFulfillments", "OrderReturns", "ReturnCreate", "ReverseDeliveryCreate")


@contextmanager
def shop_with_returns() -> Iterator[tuple[FakeShopify, ShopifyStore]]:
    with shopify() as (fake, store):
        install_returns(fake)
        yield fake, store


def order_number(store: ShopifyStore, number: str) -> Order:
    [summary] = store.find_orders(OrderQuery(SearchKind.NUMBER, number), limit=1)
    order = store.get_order(summary.ref.id)
    assert order is not None
    return order


def create(store: ShopifyStore, order: Order, items: list[tuple[str, int, str]], **options: Any) -> str:
    arguments: dict[str, Any] = {
        "tracking_number": TRACKING,
        "tracking_url": TRACKING_URL,
        "label_url": None,
        "notify_customer": False,
    }
    return store.create_return(order.ref.id, items, **{**arguments, **options})


def every_item(order: Order, note: str = "Too small") -> list[tuple[str, int, str]]:
    return [(li.id, li.quantity, note) for li in order.line_items]


def returns_of(fake: FakeShopify, order: Order) -> list[Node]:
    node = fake.find(order.ref.id)
    assert node is not None
    return node["_returns"]


def deliveries_of(ret: Node) -> list[Node]:
    return [d for rfo in ret["_reverseFulfillmentOrders"] for d in rfo["_reverseDeliveries"]]


def fulfillment_line_items(fake: FakeShopify, order: Order) -> dict[str, str]:
    """Line item GID -> its fulfillment line item GID (each demo line ships in one fulfillment)."""
    node = fake.find(order.ref.id)
    assert node is not None
    return {item["lineItem"]["id"]: item["id"] for f in node["_fulfillments"] for item in f["_fulfillmentLineItems"]}


def lose_the_answer_to(fake: FakeShopify, store: ShopifyStore, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The first attempt of mutation `name` is applied by Shopify, then the connection drops before the answer."""
    send: Callable[..., dict[str, Any]] = store.client.mutate
    armed = [True]

    def mutate(doc: Any, variables: dict[str, Any], **options: Any) -> dict[str, Any]:
        if doc.name == name and armed:
            armed.clear()
            fake.fail_next("apply_then_drop")
        return send(doc, variables, **options)

    monkeypatch.setattr(store.client, "mutate", mutate)


# --- documents --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_return_documents_are_valid_against_the_schema(name: str) -> None:
    assert validate_document(all_documents()[name].text) == []


# --- creating a return ------------------------------------------------------------------------------------------


def test_a_return_of_every_fulfilled_line_with_our_tracking_and_no_shopify_mail() -> None:
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1001")
        return_id = create(store, order, every_item(order))

        [ret] = returns_of(fake, order)
        assert ret["id"] == return_id and ret["status"] == "OPEN"
        by_line_item = fulfillment_line_items(fake, order)
        returned = {(line["fulfillmentLineItem"]["id"], line["quantity"]) for line in ret["_returnLineItems"]}
        assert returned == {(by_line_item[li.id], li.quantity) for li in order.line_items}
        assert {line["returnReasonNote"] for line in ret["_returnLineItems"]} == {"Too small"}
        assert fake.find(order.ref.id)["returnStatus"] == "IN_PROGRESS"  # type: ignore[index]

        [delivery] = deliveries_of(ret)
        assert delivery["deliverable"]["tracking"]["number"] == TRACKING
        assert delivery["deliverable"]["tracking"]["url"] == TRACKING_URL
        assert delivery["deliverable"]["label"] is None
        assert delivery["_notifyCustomer"] is False
        [call] = fake.calls_named("ReverseDeliveryCreate")
        assert "label" not in call.variables and call.variables["notify"] is False
        assert returnable_items(store.client, order.ref.id) == []  # Shopify has nothing more to take back
        fake.assert_no_rejections()


def test_a_public_label_url_goes_to_shopify_as_the_label_file() -> None:
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1002")
        create(store, order, every_item(order), label_url="https://labels.example.com/r-1002.pdf")

        [delivery] = deliveries_of(returns_of(fake, order)[0])
        assert delivery["deliverable"]["label"]["publicFileUrl"] == "https://labels.example.com/r-1002.pdf"
        fake.assert_no_rejections()


def test_asking_again_for_the_same_items_reuses_the_return() -> None:
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1001")
        first = create(store, order, every_item(order))
        again = create(store, order, every_item(order, note="retried"))

        assert again == first
        assert len(fake.calls_named("ReturnCreate")) == 1
        assert len(fake.calls_named("ReverseDeliveryCreate")) == 1  # the tracking is on it already
        [ret] = returns_of(fake, order)
        assert len(deliveries_of(ret)) == 1
        fake.assert_no_rejections()


def test_a_return_of_other_items_is_a_new_return_of_what_is_left() -> None:
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1001")
        socks = next(li for li in order.line_items if li.quantity == 2)
        first = create(store, order, [(socks.id, 1, "One pair too many")])
        left = {r.line_item_id: r.quantity for r in returnable_items(store.client, order.ref.id)}
        assert left[socks.id] == 1  # the returnable quantity shrank by the open return

        beanie = order.line_items[2]
        second = create(store, order, [(socks.id, 1, "Worn"), (beanie.id, 1, "Itchy")], tracking_number="JJFI999002")
        assert second != first
        assert len(returns_of(fake, order)) == 2
        assert len(fake.calls_named("ReturnCreate")) == 2
        fake.assert_no_rejections()


@pytest.mark.parametrize("lost", ["ReturnCreate", "ReverseDeliveryCreate"])
def test_a_lost_answer_is_read_back_not_sent_again(monkeypatch: pytest.MonkeyPatch, lost: str) -> None:
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1001")
        lose_the_answer_to(fake, store, monkeypatch, lost)
        return_id = create(store, order, every_item(order))

        [ret] = returns_of(fake, order)
        assert ret["id"] == return_id
        assert len(deliveries_of(ret)) == 1
        assert [c.outcome for c in fake.calls_named(lost)] == ["apply_then_drop"]  # not sent a second time
        assert len(fake.calls_named("ReturnCreate")) == 1
        fake.assert_no_rejections()


def test_an_attempt_that_did_not_happen_is_sent_again(monkeypatch: pytest.MonkeyPatch) -> None:
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1001")
        send = store.client.mutate

        def mutate(doc: Any, variables: dict[str, Any], **options: Any) -> dict[str, Any]:
            if doc.name == "ReturnCreate" and not fake.calls_named("ReturnCreate"):
                fake.fail_next("drop")  # the connection drops before Shopify applies anything
            return send(doc, variables, **options)

        monkeypatch.setattr(store.client, "mutate", mutate)
        create(store, order, every_item(order))

        assert [c.outcome for c in fake.calls_named("ReturnCreate")] == ["drop", "ok"]
        assert len(returns_of(fake, order)) == 1
        fake.assert_no_rejections()


# --- failures in words ------------------------------------------------------------------------------------------


def test_more_than_is_returnable_is_refused_before_asking_shopify() -> None:
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1001")
        socks = next(li for li in order.line_items if li.quantity == 2)
        with pytest.raises(ShopifyInvalidState, match=rf"only 2 of {socks.name} \(3 asked\)"):
            create(store, order, [(socks.id, 3, "")])
        assert fake.calls_named("ReturnCreate") == []
        assert returns_of(fake, order) == []
        fake.assert_no_rejections()


def test_an_item_already_in_a_return_cannot_be_returned_again_in_another_mix() -> None:
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1001")
        create(store, order, every_item(order))
        jacket = order.line_items[0]
        with pytest.raises(ShopifyInvalidState, match="nothing left to take back of one of these items"):
            create(store, order, [(jacket.id, 1, "")])
        assert len(returns_of(fake, order)) == 1
        fake.assert_no_rejections()


@pytest.mark.parametrize(
    ("mutation", "code", "error", "words"),
    [
        ("returnCreate", "INVALID_STATE", ShopifyInvalidState, "would not create the return: Order is archived"),
        ("returnCreate", "NOT_FOUND", ShopifyNotFound, "could not create the return: Order is archived"),
        ("reverseDeliveryCreateWithShipping", "INVALID", ShopifyInvalidState, "add the return's tracking: Order is"),
    ],
)
def test_user_errors_surface_in_words(mutation: str, code: str, error: type[Exception], words: str) -> None:
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1001")
        result = "return" if mutation == "returnCreate" else "reverseDelivery"
        problem = {"field": ["input"], "message": "Order is archived and cannot be changed.", "code": code}
        fake.mutations[mutation] = lambda _args, _directives: {result: None, "userErrors": [problem]}
        with pytest.raises(error, match=words):
            create(store, order, every_item(order))
        fake.assert_no_rejections()


def test_a_shopify_error_from_the_fake_itself_is_in_words_too() -> None:
    # two returns of the same item racing: Shopify's own check refuses the second one
    with shop_with_returns() as (fake, store):
        order = order_number(store, "1001")
        jacket = order.line_items[0]
        real = fake.mutations["returnCreate"]

        def racing(args: dict[str, Any], directives: dict[str, Any]) -> Any:
            real(args, directives)  # someone else's return of the same item lands first
            return real(args, directives)

        fake.mutations["returnCreate"] = racing
        with pytest.raises(ShopifyInvalidState, match="Quantity is not available for return"):
            create(store, order, [(jacket.id, 1, "")])
        fake.assert_no_rejections()


# --- pieces -----------------------------------------------------------------------------------------------------


def test_an_item_shipped_in_two_parcels_is_returned_from_both() -> None:
    returnable = [
        Returnable("gid://shopify/FulfillmentLineItem/1", "gid://shopify/LineItem/9", "Socks", 1),
        Returnable("gid://shopify/FulfillmentLineItem/2", "gid://shopify/LineItem/8", "Hat", 1),
        Returnable("gid://shopify/FulfillmentLineItem/3", "gid://shopify/LineItem/9", "Socks", 2),
    ]
    items = [("gid://shopify/LineItem/9", 2, "Worn out"), ("gid://shopify/LineItem/9", 1, "Worn out")]
    lines = allocate({"gid://shopify/LineItem/9": 3}, items, returnable)
    assert lines == [
        {"fulfillmentLineItemId": "gid://shopify/FulfillmentLineItem/1", "quantity": 1, "returnReasonNote": "Worn out"},
        {"fulfillmentLineItemId": "gid://shopify/FulfillmentLineItem/3", "quantity": 2, "returnReasonNote": "Worn out"},
    ]


def test_the_local_store_has_nothing_more_to_write(db: Database) -> None:
    local = LocalStore(db)
    options = {"tracking_number": TRACKING, "tracking_url": "", "label_url": None, "notify_customer": False}
    assert local.create_return("1", [("1", 1, "Too small")], **options) == ""  # type: ignore[arg-type]
