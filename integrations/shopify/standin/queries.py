"""What a query reads on the fake Shopify: the root fields (orders, customers, nodes, the shop, the app's
installation) and the per-request context the resolvers see as `info.context` (scopes, the 60-day order window
without `read_all_orders`, search warnings)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from integrations.shopify.standin.connections import page_args, paginate
from integrations.shopify.standin.search import customer_sort_key, order_sort_key, search_customers, search_orders
from integrations.shopify.standin.values import Node

if TYPE_CHECKING:
    from integrations.shopify.standin.server import FakeShopify

ORDER_WINDOW = timedelta(days=60)


class RequestContext:
    """`info.context` while one request executes: scopes, clock, search warnings."""

    def __init__(self, fake: FakeShopify) -> None:
        self.fake = fake
        self.scopes = frozenset(fake.scopes)
        now = fake.now()
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        self.cutoff = None if "read_all_orders" in self.scopes else now - ORDER_WINDOW
        self.search: list[dict[str, Any]] = []
        self.unserved: set[str] = set()

    def visible(self, order: Node) -> bool:
        return self.cutoff is None or order["_created"] >= self.cutoff

    def granted(self, access_text: str) -> bool:
        options = [part.split("`")[1] for part in access_text.split(" access scope") if "`" in part]
        return not options or any(o in self.scopes or o.replace("read_", "write_", 1) in self.scopes for o in options)

    def note_search(self, info: GraphQLResolveInfo, query: str | None, warnings: list[dict[str, str]]) -> None:
        if warnings:
            self.search.append({"path": info.path.as_list(), "query": query, "warnings": warnings})

    def orders_connection(
        self,
        info: GraphQLResolveInfo,
        orders: Sequence[Node],
        query: str | None = None,
        sortKey: str | None = None,  # the argument's name in the schema
        reverse: bool = False,
        **page: Any,
    ) -> Node:
        search = search_orders(query)
        self.note_search(info, query, search.warnings)
        key = order_sort_key(sortKey)
        found = sorted((o for o in orders if self.visible(o) and search.matches(o)), key=key, reverse=reverse)
        return paginate(found, info, key=key, descending=reverse, **page_args(page))

    def orders_count(self, info: GraphQLResolveInfo, query: str | None = None, limit: int | None = 10_000) -> Node:
        """`ordersCount`: the matches counted up to `limit` (Shopify's default 10,000; null counts them all);
        AT_LEAST when the count stopped there."""
        search = search_orders(query)
        self.note_search(info, query, search.warnings)
        count = sum(1 for o in self.fake.data.orders if self.visible(o) and search.matches(o))
        stopped = limit is not None and count > limit
        return {
            "__typename": "Count",
            "count": limit if stopped else count,
            "precision": "AT_LEAST" if stopped else "EXACT",
        }

    def customers_connection(
        self,
        info: GraphQLResolveInfo,
        query: str | None = None,
        sortKey: str | None = None,
        reverse: bool = False,
        **page: Any,
    ) -> Node:
        search = search_customers(query)
        self.note_search(info, query, search.warnings)
        key = customer_sort_key(sortKey)
        found = sorted((c for c in self.fake.data.customers if search.matches(c)), key=key, reverse=reverse)
        return paginate(found, info, key=key, descending=reverse, **page_args(page))

    def node(self, global_id: str) -> Node | None:
        node = self.fake.data.nodes.get(global_id)
        if node is not None and node.get("__typename") == "Order" and not self.visible(node):
            return None
        return node


def query_root(fake: FakeShopify) -> dict[str, Any]:
    """The root value of a query: the fields every fake serves, then the ones added (`fake.queries`)."""
    return {
        "orders": lambda info, **args: info.context.orders_connection(info, fake.data.orders, **args),
        "ordersCount": lambda info, **args: info.context.orders_count(info, **args),
        "order": lambda info, id: info.context.node(id) if id.startswith("gid://shopify/Order/") else None,
        "customers": lambda info, **args: info.context.customers_connection(info, **args),
        "customer": lambda info, id: info.context.node(id) if id.startswith("gid://shopify/Customer/") else None,
        "node": lambda info, id: info.context.node(id),
        "nodes": lambda info, ids: [info.context.node(i) for i in ids],
        "shop": _shop(fake),
        "currentAppInstallation": _installation(fake),
        **fake.queries,
    }


def _shop(fake: FakeShopify) -> Node:
    currency = fake.data.orders[0]["currencyCode"] if fake.data.orders else "EUR"
    return {
        "__typename": "Shop",
        "id": "gid://shopify/Shop/1",
        "name": fake.shop_name,
        "myshopifyDomain": fake.shop_domain,
        "url": f"https://{fake.shop_domain}",
        "email": f"support@{fake.shop_domain}",
        "contactEmail": f"support@{fake.shop_domain}",
        "currencyCode": currency,
        "enabledPresentmentCurrencies": [currency],
        "ianaTimezone": "Europe/Helsinki",
        "timezoneAbbreviation": "EET",
        "orderNumberFormatPrefix": "#",
        "orderNumberFormatSuffix": "",
        "taxesIncluded": True,
        "primaryDomain": {
            "__typename": "Domain",
            "id": "gid://shopify/Domain/1",
            "host": fake.shop_domain,
            "url": f"https://{fake.shop_domain}",
            "sslEnabled": True,
        },
    }


def _installation(fake: FakeShopify) -> Node:
    scopes = [{"__typename": "AccessScope", "handle": s, "description": s.replace("_", " ")} for s in fake.scopes]
    return {
        "__typename": "AppInstallation",
        "id": "gid://shopify/AppInstallation/1",
        "accessScopes": scopes,
        "app": {"__typename": "App", "id": "gid://shopify/App/1", "title": "returnbot", "handle": "returnbot"},
    }
