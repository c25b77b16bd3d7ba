"""ShopifyStore gives the same orders as the local store does for the same data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from commands.errors import UserError
from commands.lookup import look_up, no_match_message
from commands.services import Services
from domain.money import Money
from domain.orders import LineItem, Order, OrderQuery, SearchKind
from integrations.local_store.demo import demo_orders
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.shopify.standin.server import FakeShopify
from storage.db import Database
from tests.shopify_env import FAST, TODAY, shopify

QUERIES = [
    OrderQuery(SearchKind.NUMBER, "1001"),
    OrderQuery(SearchKind.NUMBER, "1017"),
    OrderQuery(SearchKind.EMAIL, "mikko.jarvinen@example.com"),
    OrderQuery(SearchKind.NAME, "jani berz"),
    OrderQuery(SearchKind.NAME, "ruta zukauskiene"),
    OrderQuery(SearchKind.NAME, "asa"),
    OrderQuery(SearchKind.NUMBER, "9999"),
    OrderQuery(SearchKind.NAME, "nobody here"),
]


def comparable(order: Order) -> tuple:
    """What an agent sees of an order, without the store's own ids."""
    items = tuple(
        (li.name, li.sku, li.quantity, li.unit_price.quantized(), li.fulfillment_status) for li in order.line_items
    )
    tracking = tuple(sorted((f.tracking_number, f.tracking_company, f.tracking_url) for f in order.fulfillments))
    refunds = tuple(t.amount.quantized() for t in order.transactions if t.kind == "refund")
    money = (order.subtotal, order.shipping, order.taxes, order.discounts, order.total, order.refunded)
    return (
        order.name, order.created_at, order.customer_name, order.email, tuple(m.quantized() for m in money),
        order.financial_status, order.fulfillment_status, order.shipping_address, items, tracking, refunds,
        order.cancelled_at, order.shipping_method, order.locale,
    )  # fmt: skip


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.kind}:{q.value}")
def test_searches_find_the_same_orders_on_both_stores(db: Database, query: OrderQuery) -> None:
    seed_demo_orders(db)
    local = LocalStore(db)
    with shopify() as (_fake, store):
        remote = store.find_orders(query, limit=11)
        expected = local.find_orders(query, limit=11)
        assert [s.ref.name for s in remote] == [s.ref.name for s in expected]
        assert [(s.customer_name, s.total.quantized(), s.financial_status) for s in remote] == [
            (s.customer_name, s.total.quantized(), s.financial_status) for s in expected
        ]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.kind}:{q.value}")
def test_counts_agree_with_the_local_store_with_or_without_a_search_first(db: Database, query: OrderQuery) -> None:
    seed_demo_orders(db)
    expected = LocalStore(db).count_orders(query, 10_000)
    with shopify() as (fake, store):
        assert store.count_orders(query, 10_000) == expected  # nothing searched yet: one search, for its count
        searches = len(fake.calls_named("OrderSearch"))
        store.find_orders(query, limit=1)
        assert store.count_orders(query, 10_000) == expected  # counted by that search: no request of its own
        assert store.count_orders(query, 1) == min(expected, 1)
        assert len(fake.calls_named("OrderSearch")) == searches + 1


def test_every_demo_order_reads_back_the_same(db: Database) -> None:
    seed_demo_orders(db)
    local = LocalStore(db)
    with shopify() as (_fake, store):
        for order in demo_orders():
            [summary] = store.find_orders(OrderQuery(SearchKind.NUMBER, order.name.lstrip("#")), limit=2)
            remote = store.get_order(summary.ref.id)
            assert remote is not None
            [mine] = local.find_orders(OrderQuery(SearchKind.NUMBER, order.name.lstrip("#")), limit=2)
            assert comparable(remote) == comparable(local.get_order(mine.ref.id))


def test_line_items_beyond_the_first_page_are_fetched() -> None:
    base = demo_orders()[0]
    item = base.line_items[0]
    many = tuple(
        LineItem(id=str(i), name=f"Sock {i}", sku=f"S-{i}", quantity=1, unit_price=Money.parse("1.00", "EUR"))
        for i in range(120)
    )
    big = replace(base, line_items=(item, *many))
    with FakeShopify([big]) as fake:
        from integrations.shopify.client import ShopifyClient
        from integrations.shopify.store import ShopifyStore

        store = ShopifyStore(ShopifyClient(fake.admin_url, fake.access_token, policy=FAST), fake.shop_domain)
        order = store.get_order(fake.order_gid(big))
        assert order is not None
        assert [li.name for li in order.line_items] == [item.name] + [f"Sock {i}" for i in range(120)]
        assert len(fake.calls_named("OrderLineItemsPage")) == 2
        fake.assert_no_rejections()


def test_orders_hidden_by_the_60_day_rule_are_explained() -> None:
    scopes = ("read_orders", "read_customers")
    with shopify(scopes=scopes) as (_fake, store):
        services = Services(db=None, store=store)  # type: ignore[arg-type]
        result = look_up(services, "#1001")  # placed in September: more than 60 days before TODAY
        assert not result.found
        message = no_match_message(result, store.name)
        assert "last 60 days" in message and "read_all_orders" in message
        assert look_up(services, "#1020").order is not None  # recent orders are fine
    assert TODAY.month == 11


def test_tracking_numbers_are_refused_in_words() -> None:
    with shopify() as (_fake, store):
        services = Services(db=None, store=store)  # type: ignore[arg-type]
        with pytest.raises(UserError, match="cannot look up tracking numbers"):
            look_up(services, "CC403188270EE")


def test_a_shop_that_stops_answering_mid_lookup_is_reported(db: Database) -> None:
    with shopify() as (fake, store):
        services = Services(db=None, store=store)  # type: ignore[arg-type]
        fake.fail_next("500", times=100)
        with pytest.raises(UserError, match="Shopify answered with an error"):
            look_up(services, "#1020")
        fake.clear()
        assert look_up(services, "#1020").order is not None  # and the next lookup works again
