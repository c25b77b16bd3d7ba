"""STORE=shopify after the label: a receipt is processed in Shopify once (read before retry, dispositions), a return
processed or closed in Shopify's admin is picked up by the tick, an expired return is cancelled there, and every
document sent validates against the pinned schema (the stand-in refuses any that does not)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from commands import return_lifecycle as rl
from commands import returns
from commands import tick as ticks
from commands.return_lifecycle import Condition, Receipt, ReceivedItem
from commands.services import Services
from domain.store import StoreReturn
from domain.vocabulary import ReturnStatus
from integrations.shopify.documents import document
from integrations.shopify.standin.return_receipt import close_in_admin
from integrations.shopify.standin.returns import install_returns
from integrations.shopify.standin.server import FakeShopify
from integrations.shopify.standin.values import Node
from storage.db import Database
from tests.lifecycle_env import RecordingNotifier, clock_of, label_return, make_services
from tests.shopify_env import shopify


@pytest.fixture
def shop(db: Database, tmp_path: Path) -> Iterator[tuple[FakeShopify, Services]]:
    with shopify() as (fake, store):
        install_returns(fake)
        yield fake, make_services(db, tmp_path, store=store, seed=False)


def shopify_return(fake: FakeShopify, services: Services, rma: str) -> Node:
    case = returns.get_case(services.db, rma)
    assert case.store_return_id.startswith("gid://shopify/Return/")
    node = fake.find(case.store_return_id)
    assert node is not None
    return node


def processed(node: Node) -> list[int]:
    return [line["processedQuantity"] for line in node["_returnLineItems"]]


def dispositions(node: Node) -> list[tuple[str, int]]:
    return [
        (d["type"], d["quantity"])
        for rfo in node["_reverseFulfillmentOrders"]
        for line in rfo["_lineItems"]
        for d in line["dispositions"]
    ]


def test_a_receipt_is_processed_in_shopify_once_with_its_dispositions(shop: tuple[FakeShopify, Services]) -> None:
    fake, services = shop
    rma = label_return(services)
    case = returns.get_case(services.db, rma)
    jacket, socks, _beanie = case.items
    receipt = Receipt(
        (
            ReceivedItem(str(jacket["line_item_id"]), str(jacket["name"]), 1, Condition.DAMAGED),
            ReceivedItem(str(socks["line_item_id"]), str(socks["name"]), 1, Condition.RESELLABLE),
            ReceivedItem(str(socks["line_item_id"]), str(socks["name"]), 1, Condition.MISSING),
        ),
        note="Jacket torn at the sleeve",
    )
    received = rl.receive(services, rma, "U_WAREHOUSE", receipt)
    assert received.won and received.problem == ""
    node = shopify_return(fake, services, rma)
    assert processed(node) == [1, 2, 0]
    assert sorted(dispositions(node)) == [("MISSING", 1), ("NOT_RESTOCKED", 1), ("RESTOCKED", 1)]
    assert node["_processNote"] == "Jacket torn at the sleeve" and node["_notifyCustomer"] is False
    assert len(fake.calls_named("ReturnProcess")) == 1
    # the scheduler's follow-up row runs again: nothing is sent to Shopify twice
    clock_of(services).advance(timedelta(minutes=1))
    assert ticks.tick(services, RecordingNotifier(), now=services.clock(), owner="t") == ticks.TickReport()
    assert len(fake.calls_named("ReturnProcess")) == 1


def test_a_lost_answer_is_read_back_and_not_sent_again(shop: tuple[FakeShopify, Services]) -> None:
    fake, services = shop
    rma = label_return(services)
    fake.fail_next("apply_then_drop", operation="ReturnProcess")
    received = rl.receive(services, rma, "U_WAREHOUSE", rl.full_receipt(returns.get_case(services.db, rma)))
    assert received.won and received.problem == ""
    assert [c.outcome for c in fake.calls_named("ReturnProcess")] == ["apply_then_drop"]  # applied once, read back
    assert processed(shopify_return(fake, services, rma)) == [1, 2, 1]


def test_shopify_down_at_receipt_is_retried_by_the_tick(shop: tuple[FakeShopify, Services]) -> None:
    fake, services = shop
    rma = label_return(services)
    fake.fail_next("503", times=1000, retry_after=0.01, operation="ReturnDetail")
    received = rl.receive(services, rma, "U_WAREHOUSE", rl.full_receipt(returns.get_case(services.db, rma)))
    assert received.won and "the shop did not record what came back" in received.problem
    assert received.emailed_to == "janis.berzins@example.com"  # the customer was told all the same
    assert processed(shopify_return(fake, services, rma)) == [0, 0, 0]
    clock = clock_of(services)
    clock.advance(timedelta(minutes=1))  # still down: the follow-up waits for a later tick
    assert ticks.tick(services, RecordingNotifier(), now=clock(), owner="t") == ticks.TickReport(errors=1)
    fake.clear_faults()
    clock.advance(timedelta(minutes=4))
    assert ticks.tick(services, RecordingNotifier(), now=clock(), owner="t") == ticks.TickReport()  # not due yet
    clock.advance(timedelta(minutes=1))
    assert ticks.tick(services, RecordingNotifier(), now=clock(), owner="t") == ticks.TickReport()
    assert processed(shopify_return(fake, services, rma)) == [1, 2, 1]
    assert len([c for c in fake.calls_named("ReturnProcess") if c.outcome == "ok"]) == 1


def test_a_return_closed_in_the_admin_is_picked_up_by_the_tick(shop: tuple[FakeShopify, Services]) -> None:
    fake, services = shop
    rma = label_return(services)
    notifier = RecordingNotifier()
    clock = clock_of(services)
    clock.advance(timedelta(minutes=1))
    assert ticks.tick(services, notifier, now=clock(), owner="t") == ticks.TickReport()
    close_in_admin(fake, returns.get_case(services.db, rma).store_return_id)
    clock.advance(timedelta(minutes=1))
    assert ticks.tick(services, notifier, now=clock(), owner="t") == ticks.TickReport(received=1)
    case = returns.get_case(services.db, rma)
    assert (case.status, case.received_source) == (ReturnStatus.RECEIVED, "shopify")
    assert [i["quantity"] for i in case.receipt] == [1, 2, 1]
    assert notifier.calls == [("received", rma)]
    assert fake.calls_named("ReturnProcess") == []  # the admin did it
    clock.advance(timedelta(days=40))
    assert ticks.tick(services, notifier, now=clock(), owner="t") == ticks.TickReport()
    assert notifier.calls == [("received", rma)]


def test_a_return_that_never_came_is_cancelled_in_shopify(shop: tuple[FakeShopify, Services]) -> None:
    fake, services = shop
    rma = label_return(services)
    notifier = RecordingNotifier()
    clock = clock_of(services)
    clock.advance(timedelta(days=30, minutes=1))
    report = ticks.tick(services, notifier, now=clock(), owner="t")
    assert (report.reminders, report.escalations, report.expired) == (1, 1, 1)
    assert shopify_return(fake, services, rma)["status"] == "CANCELED"
    assert returns.get_case(services.db, rma).status is ReturnStatus.EXPIRED


def test_the_stand_in_refuses_what_shopify_refuses(shop: tuple[FakeShopify, Services]) -> None:
    fake, services = shop
    rma = label_return(services)
    node = shopify_return(fake, services, rma)
    line = node["_returnLineItems"][0]
    rfo_line = node["_reverseFulfillmentOrders"][0]["_lineItems"][0]
    client = services.store.client  # type: ignore[attr-defined]

    def process(quantity: int, disposed: int) -> dict[str, object]:
        given = {"returnId": node["id"], "returnLineItems": [{"id": line["id"], "quantity": quantity, "dispositions": [
            {"reverseFulfillmentOrderLineItemId": rfo_line["id"], "quantity": disposed, "dispositionType": "RESTOCKED"}
        ]}]}  # fmt: skip
        return client.mutate(document("ReturnProcess"), {"input": given})["returnProcess"]

    assert process(2, 2)["userErrors"][0]["message"] == "Quantity is not processable."  # only 1 was returned
    assert process(1, 2)["userErrors"][0]["message"] == "Dispositions must add up to the quantity."
    assert processed(node) == [0, 0, 0]
    assert process(1, 1)["userErrors"] == [] and processed(node) == [1, 0, 0]
    cancel = client.mutate(document("ReturnCancel"), {"id": node["id"]})["returnCancel"]
    assert cancel["userErrors"][0]["code"] == "INVALID_STATE"  # work was done on it: only closing is left
    services.store.cancel_return(node["id"])
    assert node["status"] == "CLOSED"
    jacket, socks, beanie = (str(i["line_item_id"]) for i in returns.get_case(services.db, rma).items)
    assert services.store.read_returns([node["id"], "gid://shopify/Return/1"]) == {
        node["id"]: StoreReturn(node["id"], "closed", {jacket: 1, socks: 0, beanie: 0})
    }
