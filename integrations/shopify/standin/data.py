"""The bot's own Order values turned into what Shopify's Admin GraphQL API would return for them.

Objects are plain dicts keyed by schema field names (graphql-core's default resolver reads dict keys). A value
that is a callable is called as `value(info, **arguments)`: connections and lists with `first` are such
callables, reading the private `_…` lists at call time, so a mutation can change an order by editing those lists
(`order["_refunds"].append(...)`). Keys starting with `_` are never served (no schema field starts with one).

This module holds the shop (ShopData); the pieces live beside it: values.py (money, times, ids), connections.py
(pagination), order_nodes.py, fulfillments.py, transactions.py and customers.py. The names other modules have
always imported from here still are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import GraphQLResolveInfo

from domain.orders import Fulfillment, Order
from integrations.shopify.standin.connections import (
    Key,
    SortKey,
    by_position,
    connection_of,
    decode_cursor,
    encode_cursor,
    list_of,
    paginate,
)
from integrations.shopify.standin.customers import add_customer_order, customer_key, customer_node
from integrations.shopify.standin.fulfillments import shipment_node
from integrations.shopify.standin.order_nodes import order_node
from integrations.shopify.standin.values import (
    LOCATION_GID,
    Ids,
    Node,
    decimal_text,
    fold,
    gid,
    iso,
    legacy_id,
    money_bag,
    money_v2,
    parse_iso,
    split_name,
)

__all__ = [
    "LOCATION_GID",
    "ORDER_ID_BASE",
    "Key",
    "Node",
    "ShopContext",
    "ShopData",
    "SortKey",
    "build_shop_data",
    "by_position",
    "connection_of",
    "customer_key",
    "decimal_text",
    "decode_cursor",
    "encode_cursor",
    "fold",
    "gid",
    "iso",
    "legacy_id",
    "list_of",
    "money_bag",
    "money_v2",
    "paginate",
    "parse_iso",
    "split_name",
]


class ShopContext(Protocol):
    """What resolvers expect in `info.context` (the fake's per-request context)."""

    def orders_connection(self, info: GraphQLResolveInfo, orders: Sequence[Node], **args: Any) -> Node: ...


ORDER_ID_BASE = 1_000_000


@dataclass
class ShopData:
    """Everything the fake shop holds; `add` turns one more Order into Shopify objects."""

    orders: list[Node] = field(default_factory=list)
    customers: list[Node] = field(default_factory=list)
    nodes: dict[str, Node] = field(default_factory=dict)  # every object with an id, by GID
    order_gids: dict[str, str] = field(default_factory=dict)  # Order.ref.id -> GID
    line_item_gids: dict[tuple[str, str], str] = field(default_factory=dict)  # (Order.ref.id, LineItem.id) -> GID
    _ids: Ids = field(default_factory=Ids)
    _variants: dict[str, Node] = field(default_factory=dict)
    _customers_by_key: dict[str, Node] = field(default_factory=dict)

    def register(self, node: Node) -> Node:
        self.nodes[node["id"]] = node
        return node

    def add(self, order: Order) -> Node:
        number = int(order.extra.get("shopify_id") or ORDER_ID_BASE + len(self.orders))
        if gid("Order", number) in self.nodes:
            raise ValueError(f"two orders with the Shopify id {number}")
        node = order_node(order, number, self._ids, self, self._variants)
        self.orders.append(self.register(node))
        self.order_gids[order.ref.id] = node["id"]
        self._attach_customer(node)
        return node

    def ship(self, order_gid: str, parcel: Fulfillment) -> Node:
        """The warehouse ships the order: a fulfillment with the parcel's tracking, the order fulfilled."""
        node = self.nodes[order_gid]
        fulfillment = self.register(shipment_node(node, parcel, self._ids))
        node["_fulfillments"].append(fulfillment)
        node["displayFulfillmentStatus"] = "FULFILLED"
        return fulfillment

    def _attach_customer(self, node: Node) -> None:
        key = customer_key(node["_order"])
        node["customer"] = None
        if key is None:
            return
        customer = self._customers_by_key.get(key)
        if customer is None:
            customer = self.register(customer_node(node, self._ids))
            self._customers_by_key[key] = customer
            self.customers.append(customer)
        else:
            add_customer_order(customer, node)
        node["customer"] = customer


def build_shop_data(orders: Sequence[Order]) -> ShopData:
    data = ShopData()
    for order in orders:
        data.add(order)
    return data
