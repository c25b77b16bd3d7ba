"""The fake shop's customers: one per e-mail address (or per name, or phone number, for orders without one), with
their orders. A customer has the name and phone number of the first of their orders that carries one, as Shopify
fills a customer's empty fields from a later checkout: an order without a name is still its customer's."""

from __future__ import annotations

from domain.money import Money
from domain.orders import Order
from domain.phones import normalise
from integrations.shopify.standin.values import Ids, Node, fold, money_v2, split_name

SHOP_COUNTRY = "FI"  # the fake shop's country: where a number without a country code is read


def customer_key(order: Order) -> str | None:
    """One Shopify customer per e-mail address, or per name or phone number for orders without one."""
    if order.email:
        return order.email.strip().lower()
    folded = fold(order.customer_name)
    if folded:
        return f"name:{folded}"
    phone = customer_phone(order)
    return f"phone:{phone}" if phone else None


def customer_phone(order: Order) -> str:
    """The customer's number in E.164, as Shopify keeps it on a customer; "" when the order has none."""
    country = order.billing_address.country or order.shipping_address.country or SHOP_COUNTRY
    for text in (order.phone, order.billing_address.phone):
        number = normalise(text, country if len(country) == 2 else SHOP_COUNTRY) if text else ""
        if number:
            return number
    return ""


def customer_node(order_node: Node, ids: Ids) -> Node:
    """A new customer, made from their first order."""
    order: Order = order_node["_order"]
    customer_gid, number = ids.new("Customer")
    node: Node = {
        "__typename": "Customer",
        "id": customer_gid,
        "legacyResourceId": str(number),
        "displayName": order.email or customer_phone(order),  # until an order brings a name
        "firstName": None,
        "lastName": None,
        "defaultEmailAddress": (
            {"__typename": "CustomerEmailAddress", "emailAddress": order.email, "marketingState": "NOT_SUBSCRIBED"}
            if order.email
            else None
        ),
        "defaultPhoneNumber": None,
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
    order: Order = order_node["_order"]
    name = order.customer_name.strip()
    if name and customer["firstName"] is None and customer["lastName"] is None:
        customer["firstName"], customer["lastName"] = split_name(name)
        customer["displayName"] = name
    phone = customer_phone(order)
    if phone and customer["defaultPhoneNumber"] is None:
        customer["defaultPhoneNumber"] = {
            "__typename": "CustomerPhoneNumber", "phoneNumber": phone, "marketingState": "NOT_SUBSCRIBED"
        }  # fmt: skip
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
