"""The fake shop's customers: one per e-mail address (or per name, for orders without one), with their orders."""

from __future__ import annotations

from domain.money import Money
from domain.orders import Order
from integrations.shopify.standin.values import Ids, Node, fold, money_v2, split_name


def customer_key(order: Order) -> str | None:
    """One Shopify customer per e-mail address, or per name for orders without one."""
    if order.email:
        return order.email.strip().lower()
    folded = fold(order.customer_name)
    return f"name:{folded}" if folded else None


def customer_node(order_node: Node, ids: Ids) -> Node:
    """A new customer, made from their first order."""
    order: Order = order_node["_order"]
    customer_gid, number = ids.new("Customer")
    name = order.customer_name.strip()
    first, last = split_name(name)
    node: Node = {
        "__typename": "Customer",
        "id": customer_gid,
        "legacyResourceId": str(number),
        "displayName": name or order.email,
        "firstName": first,
        "lastName": last,
        "defaultEmailAddress": (
            {"__typename": "CustomerEmailAddress", "emailAddress": order.email, "marketingState": "NOT_SUBSCRIBED"}
            if order.email
            else None
        ),
        "defaultPhoneNumber": (
            {"__typename": "CustomerPhoneNumber", "phoneNumber": order.phone, "marketingState": "NOT_SUBSCRIBED"}
            if order.phone
            else None
        ),
        "createdAt": order_node["createdAt"],
        "locale": order.locale or "en",
        "note": None,
        "tags": [],
        "state": "DISABLED",
        "verifiedEmail": bool(order.email),
        "taxExempt": False,
        "canDelete": False,
        "dataSaleOptOut": False,
        "defaultAddress": order_node["shippingAddress"],
        "_orders": [],
        "_position": number,
    }
    node["orders"] = lambda info, **args: info.context.orders_connection(info, node["_orders"], **args)
    add_customer_order(node, order_node)
    return node


def add_customer_order(customer: Node, order_node: Node) -> None:
    customer["_orders"].append(order_node)
    orders = customer["_orders"]
    currency = orders[0]["currencyCode"]
    spent = Money.zero(currency)
    for n in orders:
        if n["currencyCode"] == currency:
            spent = spent + n["_order"].total
    customer["numberOfOrders"] = str(len(orders))
    customer["amountSpent"] = money_v2(spent)
    customer["updatedAt"] = max(n["updatedAt"] for n in orders)
    customer["lastOrder"] = max(orders, key=lambda n: n["createdAt"])
    customer["addresses"] = [a for a in {id(n["shippingAddress"]): n["shippingAddress"] for n in orders}.values() if a]
