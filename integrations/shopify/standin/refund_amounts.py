"""What is left to refund of an order on the fake Shopify, and `Order.suggestedRefund` computed from it.

A suggestion prices the asked lines at their discounted unit price, capped at what is still refundable of each
(over-asking is answered with the capped amount, as Shopify does), adds the asked shipping (capped at what is left of
it), and caps the sum at the money captured and not refunded yet. It is suggested back to the order's sale or
capture transactions; with nothing captured (pending or authorized orders) everything is zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo

from domain.money import Money
from integrations.shopify.standin.values import LOCATION_GID, Node, money_bag

PARENT_KINDS = frozenset({"SALE", "CAPTURE"})  # the payments a refund goes back to


# --- what is left of an order -----------------------------------------------------------------------------------------


def amount_of(bag: Node) -> Decimal:
    return Decimal(bag["shopMoney"]["amount"])


def bag_of(order: Node, amount: Decimal) -> Node:
    return money_bag(Money(amount, order["currencyCode"]))


def unit_of(line: Node) -> Decimal:
    return amount_of(line["discountedUnitPriceAfterAllDiscountsSet"])


def maximum_refundable(order: Node) -> Decimal:
    """Money captured and not refunded yet (zero while nothing is captured)."""
    net: Money = order["_netPaid"]
    return max(net.amount, Decimal(0))


def shipping_left(order: Node) -> Decimal:
    return max(amount_of(order["totalShippingPriceSet"]) - amount_of(order["totalRefundedShippingSet"]), Decimal(0))


def refund_parents(order: Node) -> list[Node]:
    """The payments a refund can go back to."""
    return [t for t in order["_transactions"] if t["kind"] in PARENT_KINDS and t["status"] == "SUCCESS"]


def parent_left(order: Node, parent: Node) -> Decimal:
    refunded = sum(
        (amount_of(t["amountSet"]) for t in order["_transactions"]
         if t["kind"] == "REFUND" and (t.get("parentTransaction") or {}).get("id") == parent["id"]),
        Decimal(0),
    )  # fmt: skip
    return max(amount_of(parent["amountSet"]) - refunded, Decimal(0))


def lines_by_id(order: Node) -> dict[str, Node]:
    return {line["id"]: line for line in order["_lineItems"]}


# --- Order.suggestedRefund --------------------------------------------------------------------------------------


def _asked_quantities(order: Node, lines: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Node, int]]:
    """(asked line, line item, quantity capped at what is refundable) for the asked lines of this order."""
    by_id = lines_by_id(order)
    taken: dict[str, int] = {}
    for asked in lines:
        line = by_id.get(asked["lineItemId"])
        if line is None:
            continue
        left = line["refundableQuantity"] - taken.get(line["id"], 0)
        quantity = max(min(asked["quantity"], left), 0)
        taken[line["id"]] = taken.get(line["id"], 0) + quantity
        yield asked, line, quantity


def _suggested_shipping(order: Node, shipping_amount: str | None, refund_shipping: bool | None) -> Decimal:
    # shippingAmount overrides refundShipping (the schema's description of the arguments)
    if shipping_amount is not None:
        return max(min(Decimal(shipping_amount), shipping_left(order)), Decimal(0))
    return shipping_left(order) if refund_shipping else Decimal(0)


def _suggested_transactions(order: Node, amount: Decimal) -> list[Node]:
    """`amount` spread over the order's payments in turn, as far as each can give back."""
    suggestions = []
    for parent in refund_parents(order):
        left = parent_left(order, parent)
        share = min(left, amount)
        if share <= 0:
            continue
        amount -= share
        suggestions.append(
            {
                "__typename": "SuggestedOrderTransaction",
                "kind": "SUGGESTED_REFUND",
                "gateway": parent["gateway"],
                "formattedGateway": parent["formattedGateway"],
                "accountNumber": None,
                "amountSet": bag_of(order, share),
                "maximumRefundableSet": bag_of(order, left),
                "parentTransaction": parent,
                "paymentDetails": None,
            }
        )
    return suggestions


def suggested_line(order: Node, asked: dict[str, Any], line: Node, quantity: int) -> Node:
    restock = asked.get("restockType") or "NO_RESTOCK"
    return {
        "__typename": "RefundLineItem",
        "id": None,  # not created yet
        "lineItem": line,
        "quantity": quantity,
        "restockType": restock,
        "restocked": False,
        "location": _location(asked.get("locationId")) if restock != "NO_RESTOCK" else None,
        "priceSet": line["discountedUnitPriceAfterAllDiscountsSet"],
        "subtotalSet": bag_of(order, unit_of(line) * quantity),
        "totalTaxSet": bag_of(order, Decimal(0)),
    }


def _location(location_id: str | None) -> Node:
    return {"__typename": "Location", "id": location_id or LOCATION_GID, "name": "Demo warehouse"}


def suggested_refund(
    order: Node,
    _info: GraphQLResolveInfo,
    refundLineItems: list[dict[str, Any]] | None = None,  # the arguments' names in the schema
    shippingAmount: str | None = None,
    refundShipping: bool | None = None,
    suggestFullRefund: bool = False,
    **_others: Any,
) -> Node:
    """`Order.suggestedRefund`: what Shopify would refund for these lines and this shipping."""
    if suggestFullRefund:  # every refundable line and all shipping; the given lines are ignored
        refundLineItems = [{"lineItemId": li["id"], "quantity": li["refundableQuantity"]} for li in order["_lineItems"]]
        shippingAmount, refundShipping = None, True
    lines = [suggested_line(order, *asked) for asked in _asked_quantities(order, refundLineItems or [])]
    subtotal = sum((amount_of(line["subtotalSet"]) for line in lines), Decimal(0))
    shipping = _suggested_shipping(order, shippingAmount, refundShipping)
    maximum = maximum_refundable(order)
    amount = min(subtotal + shipping, maximum)
    zero = bag_of(order, Decimal(0))
    return {
        "__typename": "SuggestedRefund",
        "amountSet": bag_of(order, amount),
        "maximumRefundableSet": bag_of(order, maximum),
        "subtotalSet": bag_of(order, subtotal),
        "discountedSubtotalSet": bag_of(order, subtotal),
        "totalTaxSet": zero,  # prices include tax in the fake's shops
        "totalCartDiscountAmountSet": zero,
        "totalDutiesSet": zero,
        "refundDuties": [],
        "refundLineItems": lines,
        "shipping": {
            "__typename": "ShippingRefund",
            "amountSet": bag_of(order, shipping),
            "maximumRefundableSet": bag_of(order, shipping_left(order)),
            "taxSet": zero,
        },
        "suggestedTransactions": _suggested_transactions(order, amount),
        "suggestedRefundMethods": [],
    }
