"""Refunds on the fake Shopify: `Order.suggestedRefund` and `refundCreate @idempotent`, computed like Shopify.

Every FakeShopify installs them (`install_refunds`). The suggestion, and what is left to refund of an order, are
computed in refund_amounts.py; Shopify's checks on a refund's input are in refund_checks.py.

`refundCreate` needs a non-blank @idempotent key (the server refuses the request without one, as Shopify does). A
key remembers its input and its answer: the same input again gets the original answer and applies nothing, other
input gets Shopify's parameter-mismatch error. Shopify's checks come before anything is applied (quantities within
what is refundable, shipping within what is left, amounts within what each payment and the order can give back), and
a refund that passes them changes the order everywhere a query reads it: `refunds`, `transactions`, the totals,
`displayFinancialStatus`, the line items' refundable/current/unfulfilled quantities, `refundable`.

    refunds_applied(fake, order_gid)      # how many refunds reached the order (repeats of a key do not count)
    fake.fail_next("apply_then_timeout", operation="RefundCreate")   # applied, then the client times out
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

from domain.money import Money
from integrations.shopify.standin.connections import connection_of
from integrations.shopify.standin.refund_amounts import (
    PARENT_KINDS,
    amount_of,
    bag_of,
    lines_by_id,
    maximum_refundable,
    parent_left,
    shipping_left,
    suggested_line,
    suggested_refund,
    unit_of,
)
from integrations.shopify.standin.refund_checks import (
    WRITE_SCOPES,
    line_errors,
    parent_of,
    refused,
    require_write_access,
    shipping_errors,
    shipping_refund,
    transaction_errors,
    user_error,
)
from integrations.shopify.standin.values import Node, gid, iso, legacy_id, money_bag, money_v2

if TYPE_CHECKING:
    from integrations.shopify.standin.server import FakeShopify

__all__ = [
    "KEY_MISMATCH",
    "PARENT_KINDS",
    "WRITE_SCOPES",
    "install_refunds",
    "maximum_refundable",
    "refunds_applied",
    "shipping_left",
]

KEY_MISMATCH = "The same idempotency key cannot be used with different operation parameters."

_ID_BASES = {"Refund": 30_000_000, "OrderTransaction": 31_000_000, "RefundLineItem": 32_000_000}
_ID_BASES |= {"RefundShippingLine": 33_000_000}


def install_refunds(fake: FakeShopify) -> None:
    """Serve `Order.suggestedRefund` and `refundCreate` on `fake` (FakeShopify does this itself)."""
    desk = _RefundDesk(fake)
    fake.fields["Order.suggestedRefund"] = suggested_refund
    fake.mutations["refundCreate"] = desk.refund_create


def refunds_applied(fake: FakeShopify, order_id: str) -> int:
    """How many refunds `refundCreate` applied to the order (a repeated key answered from memory does not count)."""
    order = fake.find(order_id)
    assert order is not None and order.get("__typename") == "Order", f"no order {order_id}"
    return int(order.get("_refundsApplied", 0))


# --- the desk: refunds once per key -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    input: str  # the refund input as canonical JSON
    payload: Node


class _RefundDesk:
    def __init__(self, fake: FakeShopify) -> None:
        self.fake = fake
        self.outcomes: dict[str, _Outcome] = {}  # idempotency key -> what it was asked and answered
        # ids above any already in the shop, so installing again never reuses one
        self._counters = {kind: itertools.count(_highest(fake, kind, base) + 1) for kind, base in _ID_BASES.items()}

    def new_id(self, kind: str) -> tuple[str, int]:
        number = next(self._counters[kind])
        return gid(kind, number), number

    # -- refundCreate

    def refund_create(self, args: dict[str, Any], directives: dict[str, dict[str, Any]]) -> Node:
        require_write_access(self.fake.scopes)
        key = (directives.get("idempotent") or {}).get("key")
        if not isinstance(key, str) or not key.strip():
            # the server refuses such a request before executing it; reaching here is a bug in the fake
            raise GraphQLError("The @idempotent directive is required for the refundCreate mutation.")
        given = args["input"]
        fingerprint = json.dumps(given, sort_keys=True, default=str)
        seen = self.outcomes.get(key)
        if seen is not None:
            return seen.payload if seen.input == fingerprint else refused([user_error(None, KEY_MISMATCH)])
        payload = self._create(given)
        self.outcomes[key] = _Outcome(fingerprint, payload)
        return payload

    def _create(self, given: dict[str, Any]) -> Node:
        order = self.fake.find(given["orderId"])
        if order is None or order.get("__typename") != "Order":
            return refused([user_error(["orderId"], "Order does not exist.")])
        errors = line_errors(order, given.get("refundLineItems") or [])
        errors += shipping_errors(order, given.get("shipping"))
        errors += transaction_errors(order, given)
        if errors:
            return refused(errors)
        return {"refund": self._apply(order, given), "order": order, "userErrors": []}

    def _apply(self, order: Node, given: dict[str, Any]) -> Node:
        refund_gid, number = self.new_id("Refund")
        now = iso(self.fake.now())
        refund: Node = {
            "__typename": "Refund",
            "id": refund_gid,
            "legacyResourceId": str(number),
            "createdAt": now,
            "processedAt": now,
            "updatedAt": now,
            "note": given.get("note"),
            "order": order,
            "return": None,
            "staffMember": None,
            "duties": [],
            "_position": len(order["_refunds"]),
            "_refundLineItems": [
                self._take_back(order, line, i) for i, line in enumerate(given.get("refundLineItems") or [])
            ],
            "_refundShippingLines": self._shipping_lines(order, given.get("shipping")),
            "_transactions": [self._refund_transaction(order, t, now) for t in given.get("transactions") or []],
            "_orderAdjustments": [],
        }
        for name in ("transactions", "refundLineItems", "refundShippingLines", "orderAdjustments"):
            refund[name] = connection_of(refund, f"_{name}")
        total = sum((amount_of(t["amountSet"]) for t in refund["_transactions"]), Decimal(0))
        refund["totalRefundedSet"] = bag_of(order, total)
        order["_refunds"].append(self.fake.data.register(refund))
        _update_order(order, total, shipping_refund(order, given.get("shipping")), now)
        return refund

    def _take_back(self, order: Node, asked: dict[str, Any], position: int) -> Node:
        """A RefundLineItem; the line item keeps less to refund, fulfil and return."""
        line = lines_by_id(order)[asked["lineItemId"]]
        quantity, restock = asked["quantity"], asked.get("restockType") or "NO_RESTOCK"
        _reduce_line(order, line, quantity, restock)
        node = suggested_line(order, asked, line, quantity)
        node.update({"id": self.new_id("RefundLineItem")[0], "restocked": restock != "NO_RESTOCK"})
        node["_position"] = position
        return self.fake.data.register(node)

    def _shipping_lines(self, order: Node, shipping: dict[str, Any] | None) -> list[Node]:
        amount = shipping_refund(order, shipping)
        if amount <= 0 or order.get("shippingLine") is None:
            return []
        node = {
            "__typename": "RefundShippingLine",
            "id": self.new_id("RefundShippingLine")[0],
            "shippingLine": order["shippingLine"],
            "subtotalAmountSet": bag_of(order, amount),
            "taxAmountSet": bag_of(order, Decimal(0)),
            "_position": 0,
        }
        return [self.fake.data.register(node)]

    def _refund_transaction(self, order: Node, given: dict[str, Any], now: str | None) -> Node:
        parent = parent_of(order, given)
        assert parent is not None  # checked before anything was applied
        amount = Decimal(given["amount"])
        transaction_gid, number = self.new_id("OrderTransaction")
        node: Node = {
            **{k: v for k, v in parent.items() if not k.startswith("_")},
            "id": transaction_gid,
            "kind": "REFUND",
            "status": "SUCCESS",
            "processedAt": now,
            "createdAt": now,
            "amountSet": bag_of(order, amount),
            "maximumRefundableV2": None,
            "parentTransaction": parent,
            "paymentId": f"pay_{number}",
            "manuallyCapturable": False,
            "multiCapturable": False,
            "_dated": True,
        }
        order["_transactions"].append(self.fake.data.register(node))
        parent["maximumRefundableV2"] = money_v2(Money(parent_left(order, parent), order["currencyCode"]))
        return node


def _highest(fake: FakeShopify, kind: str, base: int) -> int:
    prefix = f"gid://shopify/{kind}/"
    numbers = [legacy_id(g) or 0 for g in fake.data.nodes if g.startswith(prefix)]
    return max([base, *numbers])


# --- applying ---------------------------------------------------------------------------------------------------


def _reduce_line(order: Node, line: Node, quantity: int, restock: str) -> None:
    """Refunded units leave the line: CANCEL takes them from what has not shipped, other restock types from what
    has shipped first (what is left of it beyond that was not shipped either)."""
    unfulfilled = line["unfulfilledQuantity"]
    shipped = line["currentQuantity"] - unfulfilled
    from_unfulfilled = min(quantity if restock == "CANCEL" else max(quantity - shipped, 0), unfulfilled)
    line["refundableQuantity"] -= quantity
    line["currentQuantity"] -= quantity
    line["unfulfilledQuantity"] -= from_unfulfilled
    line["nonFulfillableQuantity"] += from_unfulfilled
    unit_price = amount_of(line["originalUnitPriceSet"])
    line["unfulfilledOriginalTotalSet"] = bag_of(order, unit_price * line["unfulfilledQuantity"])
    line["unfulfilledDiscountedTotalSet"] = bag_of(order, unit_of(line) * line["unfulfilledQuantity"])
    for fulfillment_order in order["_fulfillmentOrders"]:
        for item in fulfillment_order["_lineItems"]:
            if item["lineItem"] is line:
                item["totalQuantity"], item["remainingQuantity"] = line["currentQuantity"], line["unfulfilledQuantity"]


def _update_order(order: Node, refunded: Decimal, shipping: Decimal, now: str | None) -> None:
    currency = order["currencyCode"]
    total_refunded = amount_of(order["totalRefundedSet"]) + refunded
    net = order["_netPaid"] - Money(refunded, currency)
    cancelled = order["cancelledAt"] is not None
    subtotal_left = Decimal(0) if cancelled else max(amount_of(order["subtotalPriceSet"]) - total_refunded, Decimal(0))
    order.update(
        {
            "_netPaid": net,
            "_refundsApplied": order.get("_refundsApplied", 0) + 1,
            "netPaymentSet": money_bag(net),
            "totalRefundedSet": bag_of(order, total_refunded),
            "totalRefundedShippingSet": bag_of(order, amount_of(order["totalRefundedShippingSet"]) + shipping),
            "currentTotalPriceSet": bag_of(order, max(amount_of(order["totalPriceSet"]) - total_refunded, Decimal(0))),
            "currentSubtotalPriceSet": bag_of(order, subtotal_left),
            "currentSubtotalLineItemsQuantity": sum(li["currentQuantity"] for li in order["_lineItems"]),
            "refundable": net.amount > 0,
            "restockable": any(li["refundableQuantity"] > 0 for li in order["_lineItems"]),
            "updatedAt": now,
        }
    )
    if refunded > 0:  # a refund that moves no money (a restock alone) leaves the financial status as it was
        order["displayFinancialStatus"] = "REFUNDED" if net.amount <= 0 else "PARTIALLY_REFUNDED"
