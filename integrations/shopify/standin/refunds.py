"""Refunds on the fake Shopify: `Order.suggestedRefund` and `refundCreate @idempotent`, computed like Shopify.

Every FakeShopify installs them (`install_refunds`). A suggestion prices the asked lines at their discounted unit
price, capped at what is still refundable of each (over-asking is answered with the capped amount, as Shopify does),
adds the asked shipping (capped at what is left of it), and caps the sum at the money captured and not refunded yet.
It is suggested back to the order's sale or capture transactions; with nothing captured (pending or authorized
orders) everything is zero.

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from domain.money import Money
from integrations.shopify.standin.data import (
    LOCATION_GID,
    Node,
    connection_of,
    gid,
    iso,
    legacy_id,
    money_bag,
    money_v2,
)

if TYPE_CHECKING:
    from integrations.shopify.standin.server import FakeShopify

KEY_MISMATCH = "The same idempotency key cannot be used with different operation parameters."
# The schema's requiredAccess of refundCreate ("`orders` access scope, ..."): for a mutation, the write scopes
WRITE_SCOPES = frozenset({"write_orders", "write_marketplace_orders", "write_buyer_membership_orders"})
PARENT_KINDS = frozenset({"SALE", "CAPTURE"})
_ID_BASES = {"Refund": 30_000_000, "OrderTransaction": 31_000_000, "RefundLineItem": 32_000_000}
_ID_BASES |= {"RefundShippingLine": 33_000_000}


def install_refunds(fake: FakeShopify) -> None:
    """Serve `Order.suggestedRefund` and `refundCreate` on `fake` (FakeShopify does this itself)."""
    desk = _RefundDesk(fake)
    fake.fields["Order.suggestedRefund"] = desk.suggested_refund
    fake.mutations["refundCreate"] = desk.refund_create


def refunds_applied(fake: FakeShopify, order_id: str) -> int:
    """How many refunds `refundCreate` applied to the order (a repeated key answered from memory does not count)."""
    order = fake.find(order_id)
    assert order is not None and order.get("__typename") == "Order", f"no order {order_id}"
    return int(order.get("_refundsApplied", 0))


# --- what is left of an order -----------------------------------------------------------------------------------


def _amount(bag: Node) -> Decimal:
    return Decimal(bag["shopMoney"]["amount"])


def _bag(order: Node, amount: Decimal) -> Node:
    return money_bag(Money(amount, order["currencyCode"]))


def _unit(line: Node) -> Decimal:
    return _amount(line["discountedUnitPriceAfterAllDiscountsSet"])


def maximum_refundable(order: Node) -> Decimal:
    """Money captured and not refunded yet (zero while nothing is captured)."""
    net: Money = order["_netPaid"]
    return max(net.amount, Decimal(0))


def shipping_left(order: Node) -> Decimal:
    return max(_amount(order["totalShippingPriceSet"]) - _amount(order["totalRefundedShippingSet"]), Decimal(0))


def _parents(order: Node) -> list[Node]:
    """The payments a refund can go back to."""
    return [t for t in order["_transactions"] if t["kind"] in PARENT_KINDS and t["status"] == "SUCCESS"]


def _parent_left(order: Node, parent: Node) -> Decimal:
    refunded = sum(
        (_amount(t["amountSet"]) for t in order["_transactions"]
         if t["kind"] == "REFUND" and (t.get("parentTransaction") or {}).get("id") == parent["id"]),
        Decimal(0),
    )  # fmt: skip
    return max(_amount(parent["amountSet"]) - refunded, Decimal(0))


def _lines_by_id(order: Node) -> dict[str, Node]:
    return {line["id"]: line for line in order["_lineItems"]}


# --- Order.suggestedRefund --------------------------------------------------------------------------------------


def _asked_quantities(order: Node, lines: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Node, int]]:
    """(asked line, line item, quantity capped at what is refundable) for the asked lines of this order."""
    by_id = _lines_by_id(order)
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
    for parent in _parents(order):
        left = _parent_left(order, parent)
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
                "amountSet": _bag(order, share),
                "maximumRefundableSet": _bag(order, left),
                "parentTransaction": parent,
                "paymentDetails": None,
            }
        )
    return suggestions


def _suggested_line(order: Node, asked: dict[str, Any], line: Node, quantity: int) -> Node:
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
        "subtotalSet": _bag(order, _unit(line) * quantity),
        "totalTaxSet": _bag(order, Decimal(0)),
    }


def _location(location_id: str | None) -> Node:
    return {"__typename": "Location", "id": location_id or LOCATION_GID, "name": "Demo warehouse"}


# --- the desk: suggestions, and refunds once per key ------------------------------------------------------------


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

    # -- Order.suggestedRefund

    def suggested_refund(
        self,
        order: Node,
        _info: GraphQLResolveInfo,
        refundLineItems: list[dict[str, Any]] | None = None,  # the arguments' names in the schema
        shippingAmount: str | None = None,
        refundShipping: bool | None = None,
        suggestFullRefund: bool = False,
        **_others: Any,
    ) -> Node:
        if suggestFullRefund:  # every refundable line and all shipping; the given lines are ignored
            refundLineItems = [
                {"lineItemId": li["id"], "quantity": li["refundableQuantity"]} for li in order["_lineItems"]
            ]
            shippingAmount, refundShipping = None, True
        lines = [_suggested_line(order, *asked) for asked in _asked_quantities(order, refundLineItems or [])]
        subtotal = sum((_amount(line["subtotalSet"]) for line in lines), Decimal(0))
        shipping = _suggested_shipping(order, shippingAmount, refundShipping)
        maximum = maximum_refundable(order)
        amount = min(subtotal + shipping, maximum)
        zero = _bag(order, Decimal(0))
        return {
            "__typename": "SuggestedRefund",
            "amountSet": _bag(order, amount),
            "maximumRefundableSet": _bag(order, maximum),
            "subtotalSet": _bag(order, subtotal),
            "discountedSubtotalSet": _bag(order, subtotal),
            "totalTaxSet": zero,  # prices include tax in the fake's shops
            "totalCartDiscountAmountSet": zero,
            "totalDutiesSet": zero,
            "refundDuties": [],
            "refundLineItems": lines,
            "shipping": {
                "__typename": "ShippingRefund",
                "amountSet": _bag(order, shipping),
                "maximumRefundableSet": _bag(order, shipping_left(order)),
                "taxSet": zero,
            },
            "suggestedTransactions": _suggested_transactions(order, amount),
            "suggestedRefundMethods": [],
        }

    # -- refundCreate

    def refund_create(self, args: dict[str, Any], directives: dict[str, dict[str, Any]]) -> Node:
        _require_write_access(self.fake.scopes)
        key = (directives.get("idempotent") or {}).get("key")
        if not isinstance(key, str) or not key.strip():
            # the server refuses such a request before executing it; reaching here is a bug in the fake
            raise GraphQLError("The @idempotent directive is required for the refundCreate mutation.")
        given = args["input"]
        fingerprint = json.dumps(given, sort_keys=True, default=str)
        seen = self.outcomes.get(key)
        if seen is not None:
            return seen.payload if seen.input == fingerprint else _refused([_error(None, KEY_MISMATCH)])
        payload = self._create(given)
        self.outcomes[key] = _Outcome(fingerprint, payload)
        return payload

    def _create(self, given: dict[str, Any]) -> Node:
        order = self.fake.find(given["orderId"])
        if order is None or order.get("__typename") != "Order":
            return _refused([_error(["orderId"], "Order does not exist.")])
        errors = _line_errors(order, given.get("refundLineItems") or [])
        errors += _shipping_errors(order, given.get("shipping"))
        errors += _transaction_errors(order, given)
        if errors:
            return _refused(errors)
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
        total = sum((_amount(t["amountSet"]) for t in refund["_transactions"]), Decimal(0))
        refund["totalRefundedSet"] = _bag(order, total)
        order["_refunds"].append(self.fake.data.register(refund))
        _update_order(order, total, _shipping_refund(order, given.get("shipping")), now)
        return refund

    def _take_back(self, order: Node, asked: dict[str, Any], position: int) -> Node:
        """A RefundLineItem; the line item keeps less to refund, fulfil and return."""
        line = _lines_by_id(order)[asked["lineItemId"]]
        quantity, restock = asked["quantity"], asked.get("restockType") or "NO_RESTOCK"
        _reduce_line(order, line, quantity, restock)
        node = _suggested_line(order, asked, line, quantity)
        node.update({"id": self.new_id("RefundLineItem")[0], "restocked": restock != "NO_RESTOCK"})
        node["_position"] = position
        return self.fake.data.register(node)

    def _shipping_lines(self, order: Node, shipping: dict[str, Any] | None) -> list[Node]:
        amount = _shipping_refund(order, shipping)
        if amount <= 0 or order.get("shippingLine") is None:
            return []
        node = {
            "__typename": "RefundShippingLine",
            "id": self.new_id("RefundShippingLine")[0],
            "shippingLine": order["shippingLine"],
            "subtotalAmountSet": _bag(order, amount),
            "taxAmountSet": _bag(order, Decimal(0)),
            "_position": 0,
        }
        return [self.fake.data.register(node)]

    def _refund_transaction(self, order: Node, given: dict[str, Any], now: str | None) -> Node:
        parent = _parent_of(order, given)
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
            "amountSet": _bag(order, amount),
            "maximumRefundableV2": None,
            "parentTransaction": parent,
            "paymentId": f"pay_{number}",
            "manuallyCapturable": False,
            "multiCapturable": False,
            "_dated": True,
        }
        order["_transactions"].append(self.fake.data.register(node))
        parent["maximumRefundableV2"] = money_v2(Money(_parent_left(order, parent), order["currencyCode"]))
        return node


def _require_write_access(scopes: Iterable[str]) -> None:
    if not WRITE_SCOPES & set(scopes):
        access = "`write_orders` access scope."
        raise GraphQLError(
            f"Access denied for refundCreate field. Required access: {access}",
            extensions={"code": "ACCESS_DENIED", "requiredAccess": access},
        )


def _highest(fake: FakeShopify, kind: str, base: int) -> int:
    prefix = f"gid://shopify/{kind}/"
    numbers = [legacy_id(g) or 0 for g in fake.data.nodes if g.startswith(prefix)]
    return max([base, *numbers])


# --- Shopify's checks -------------------------------------------------------------------------------------------


def _error(field: list[str] | None, message: str) -> Node:
    return {"__typename": "UserError", "field": field, "message": message}


def _refused(errors: list[Node]) -> Node:
    return {"refund": None, "order": None, "userErrors": errors}


def _line_errors(order: Node, lines: list[dict[str, Any]]) -> list[Node]:
    by_id = _lines_by_id(order)
    asked: dict[str, int] = {}
    errors = []
    for index, line in enumerate(lines):
        field = ["refundLineItems", str(index)]
        item = by_id.get(line["lineItemId"])
        if item is None:
            errors.append(_error([*field, "lineItemId"], "Line item does not exist."))
        elif line["quantity"] < 1:
            errors.append(_error([*field, "quantity"], "Quantity must be greater than 0."))
        elif line.get("restockType") == "LEGACY_RESTOCK":
            errors.append(_error([*field, "restockType"], "Legacy restock is not supported for new refunds."))
        else:
            asked[item["id"]] = asked.get(item["id"], 0) + line["quantity"]
            if asked[item["id"]] > item["refundableQuantity"]:
                left = item["refundableQuantity"]
                message = f"Cannot refund more items than were purchased: {left} of {item['name']} left to refund."
                errors.append(_error([*field, "quantity"], message))
    return errors


def _shipping_refund(order: Node, shipping: dict[str, Any] | None) -> Decimal:
    if not shipping:
        return Decimal(0)
    if shipping.get("fullRefund"):
        return shipping_left(order)
    return Decimal(shipping.get("amount") or 0)


def _shipping_errors(order: Node, shipping: dict[str, Any] | None) -> list[Node]:
    amount = _shipping_refund(order, shipping)
    if amount < 0:
        return [_error(["shipping", "amount"], "Shipping amount must be greater than or equal to 0.")]
    if amount > shipping_left(order):
        left = Money(shipping_left(order), order["currencyCode"])
        return [_error(["shipping", "amount"], f"Shipping amount cannot be greater than the refundable {left}.")]
    return []


def _parent_of(order: Node, given: dict[str, Any]) -> Node | None:
    """The sale or capture a refund transaction goes back to: its parentId, or the first payment of its gateway."""
    parents = _parents(order)
    if given.get("parentId"):
        return next((p for p in parents if p["id"] == given["parentId"]), None)
    return next((p for p in parents if p["gateway"] == given["gateway"]), None)


def _transaction_errors(order: Node, given: dict[str, Any]) -> list[Node]:
    errors: list[Node] = []
    per_parent: dict[str, Decimal] = {}
    total = Decimal(0)
    for index, transaction in enumerate(given.get("transactions") or []):
        field = ["transactions", str(index)]
        problem = _transaction_problem(order, given["orderId"], transaction)
        if problem is not None:
            errors.append(_error([*field, problem[0]], problem[1]))
            continue
        parent = _parent_of(order, transaction)
        assert parent is not None
        amount = Decimal(transaction["amount"])
        per_parent[parent["id"]] = per_parent.get(parent["id"], Decimal(0)) + amount
        total += amount
        if per_parent[parent["id"]] > _parent_left(order, parent):
            left = Money(_parent_left(order, parent), order["currencyCode"])
            errors.append(_error([*field, "amount"], f"Amount cannot exceed the {left} refundable on this payment."))
    maximum = maximum_refundable(order)
    if not errors and total > maximum and not given.get("allowOverRefunding"):
        left = Money(maximum, order["currencyCode"])
        errors.append(_error(["transactions"], f"Refund amount cannot exceed the maximum refundable amount of {left}."))
    return errors


def _transaction_problem(order: Node, order_id: str, transaction: dict[str, Any]) -> tuple[str, str] | None:
    """(field, message) of what is wrong with one refund transaction on its own."""
    if transaction["orderId"] != order_id:
        return "orderId", "Transaction must belong to the refunded order."
    if transaction["kind"] != "REFUND":
        return "kind", "Transaction kind must be REFUND."
    if Decimal(transaction["amount"]) <= 0:
        return "amount", "Amount must be greater than 0."
    parent = _parent_of(order, transaction)
    if parent is None:
        return "parentId", "Parent transaction does not exist or cannot be refunded."
    if parent["gateway"] != transaction["gateway"]:
        return "gateway", f"Gateway must be {parent['gateway']}, the gateway of the parent transaction."
    return None


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
    unit_price = _amount(line["originalUnitPriceSet"])
    line["unfulfilledOriginalTotalSet"] = _bag(order, unit_price * line["unfulfilledQuantity"])
    line["unfulfilledDiscountedTotalSet"] = _bag(order, _unit(line) * line["unfulfilledQuantity"])
    for fulfillment_order in order["_fulfillmentOrders"]:
        for item in fulfillment_order["_lineItems"]:
            if item["lineItem"] is line:
                item["totalQuantity"], item["remainingQuantity"] = line["currentQuantity"], line["unfulfilledQuantity"]


def _update_order(order: Node, refunded: Decimal, shipping: Decimal, now: str | None) -> None:
    currency = order["currencyCode"]
    total_refunded = _amount(order["totalRefundedSet"]) + refunded
    net = order["_netPaid"] - Money(refunded, currency)
    cancelled = order["cancelledAt"] is not None
    order.update(
        {
            "_netPaid": net,
            "_refundsApplied": order.get("_refundsApplied", 0) + 1,
            "netPaymentSet": money_bag(net),
            "totalRefundedSet": _bag(order, total_refunded),
            "totalRefundedShippingSet": _bag(order, _amount(order["totalRefundedShippingSet"]) + shipping),
            "currentTotalPriceSet": _bag(order, max(_amount(order["totalPriceSet"]) - total_refunded, Decimal(0))),
            "currentSubtotalPriceSet": _bag(
                order, Decimal(0) if cancelled else max(_amount(order["subtotalPriceSet"]) - total_refunded, Decimal(0))
            ),
            "currentSubtotalLineItemsQuantity": sum(li["currentQuantity"] for li in order["_lineItems"]),
            "refundable": net.amount > 0,
            "restockable": any(li["refundableQuantity"] > 0 for li in order["_lineItems"]),
            "updatedAt": now,
        }
    )
    if refunded > 0:  # a refund that moves no money (a restock alone) leaves the financial status as it was
        order["displayFinancialStatus"] = "REFUNDED" if net.amount <= 0 else "PARTIALLY_REFUNDED"
