"""Shopify's checks on a `refundCreate` input, made before anything is applied: write access, quantities within
what is refundable, shipping within what is left, amounts within what each payment and the order can give back.
Each problem is a UserError naming the input field, as Shopify answers them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from graphql import GraphQLError

from domain.money import Money
from integrations.shopify.standin.refund_amounts import (
    lines_by_id,
    maximum_refundable,
    parent_left,
    refund_parents,
    shipping_left,
)
from integrations.shopify.standin.values import Node

# The schema's requiredAccess of refundCreate ("`orders` access scope, ..."): for a mutation, the write scopes
WRITE_SCOPES = frozenset({"write_orders", "write_marketplace_orders", "write_buyer_membership_orders"})


def require_write_access(scopes: Iterable[str]) -> None:
    if not WRITE_SCOPES & set(scopes):
        access = "`write_orders` access scope."
        raise GraphQLError(
            f"Access denied for refundCreate field. Required access: {access}",
            extensions={"code": "ACCESS_DENIED", "requiredAccess": access},
        )


def user_error(field: list[str] | None, message: str) -> Node:
    return {"__typename": "UserError", "field": field, "message": message}


def refused(errors: list[Node]) -> Node:
    return {"refund": None, "order": None, "userErrors": errors}


def line_errors(order: Node, lines: list[dict[str, Any]]) -> list[Node]:
    by_id = lines_by_id(order)
    asked: dict[str, int] = {}
    errors = []
    for index, line in enumerate(lines):
        field = ["refundLineItems", str(index)]
        item = by_id.get(line["lineItemId"])
        if item is None:
            errors.append(user_error([*field, "lineItemId"], "Line item does not exist."))
        elif line["quantity"] < 1:
            errors.append(user_error([*field, "quantity"], "Quantity must be greater than 0."))
        elif line.get("restockType") == "LEGACY_RESTOCK":
            errors.append(user_error([*field, "restockType"], "Legacy restock is not supported for new refunds."))
        else:
            asked[item["id"]] = asked.get(item["id"], 0) + line["quantity"]
            if asked[item["id"]] > item["refundableQuantity"]:
                left = item["refundableQuantity"]
                message = f"Cannot refund more items than were purchased: {left} of {item['name']} left to refund."
                errors.append(user_error([*field, "quantity"], message))
    return errors


def shipping_refund(order: Node, shipping: dict[str, Any] | None) -> Decimal:
    if not shipping:
        return Decimal(0)
    if shipping.get("fullRefund"):
        return shipping_left(order)
    return Decimal(shipping.get("amount") or 0)


def shipping_errors(order: Node, shipping: dict[str, Any] | None) -> list[Node]:
    amount = shipping_refund(order, shipping)
    if amount < 0:
        return [user_error(["shipping", "amount"], "Shipping amount must be greater than or equal to 0.")]
    if amount > shipping_left(order):
        left = Money(shipping_left(order), order["currencyCode"])
        return [user_error(["shipping", "amount"], f"Shipping amount cannot be greater than the refundable {left}.")]
    return []


def parent_of(order: Node, given: dict[str, Any]) -> Node | None:
    """The sale or capture a refund transaction goes back to: its parentId, or the first payment of its gateway."""
    parents = refund_parents(order)
    if given.get("parentId"):
        return next((p for p in parents if p["id"] == given["parentId"]), None)
    return next((p for p in parents if p["gateway"] == given["gateway"]), None)


def transaction_errors(order: Node, given: dict[str, Any]) -> list[Node]:
    errors: list[Node] = []
    per_parent: dict[str, Decimal] = {}
    total = Decimal(0)
    for index, transaction in enumerate(given.get("transactions") or []):
        field = ["transactions", str(index)]
        problem = _transaction_problem(order, given["orderId"], transaction)
        if problem is not None:
            errors.append(user_error([*field, problem[0]], problem[1]))
            continue
        parent = parent_of(order, transaction)
        assert parent is not None
        amount = Decimal(transaction["amount"])
        per_parent[parent["id"]] = per_parent.get(parent["id"], Decimal(0)) + amount
        total += amount
        if per_parent[parent["id"]] > parent_left(order, parent):
            left = Money(parent_left(order, parent), order["currencyCode"])
            message = f"Amount cannot exceed the {left} refundable on this payment."
            errors.append(user_error([*field, "amount"], message))
    maximum = maximum_refundable(order)
    if not errors and total > maximum and not given.get("allowOverRefunding"):
        left = Money(maximum, order["currencyCode"])
        message = f"Refund amount cannot exceed the maximum refundable amount of {left}."
        errors.append(user_error(["transactions"], message))
    return errors


def _transaction_problem(order: Node, order_id: str, transaction: dict[str, Any]) -> tuple[str, str] | None:
    """(field, message) of what is wrong with one refund transaction on its own."""
    if transaction["orderId"] != order_id:
        return "orderId", "Transaction must belong to the refunded order."
    if transaction["kind"] != "REFUND":
        return "kind", "Transaction kind must be REFUND."
    if Decimal(transaction["amount"]) <= 0:
        return "amount", "Amount must be greater than 0."
    parent = parent_of(order, transaction)
    if parent is None:
        return "parentId", "Parent transaction does not exist or cannot be refunded."
    if parent["gateway"] != transaction["gateway"]:
        return "gateway", f"Gateway must be {parent['gateway']}, the gateway of the parent transaction."
    return None
