"""Refunds on Shopify: quotes from `Order.suggestedRefund`, refunds through `refundCreate @idempotent`.

- A quote asks Shopify what a choice of lines and shipping would give back now (capped at what is left and at the
  money captured) and to which payments. It never writes. The store reads the order (line item pages, fulfilled
  quantities); this module says what the answer means.
- A refund is sent exactly as planned. Its input is built from the RefundPlan alone, never from fresh suggestions:
  Shopify answers a repeated idempotency key with the refund it made the first time, but refuses the key with other
  parameters, so every retry must carry the same ones (docs/reference/shopify-admin-api.md §4 and §6).
- Amounts are the shop's money. Multi-currency orders need the presentment amounts and `RefundInput.currency`; that
  is future work, and such orders are logged when quoted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from domain.money import Money
from domain.orders import payment_captured
from domain.refunds import (
    RefundableLine,
    RefundChoice,
    RefundLineChoice,
    RefundPlan,
    RefundQuote,
    RefundTransaction,
    StoreRefund,
)
from domain.store import RefundOutcomeUnknown, RefundRefused
from integrations.shopify.client import ShopifyClient
from integrations.shopify.documents import document
from integrations.shopify.errors import ShopifyProtocolError, ShopifyUnavailable

log = logging.getLogger(__name__)

# displayFinancialStatus values under which no money was captured: nothing can go back, whatever is suggested
OUTCOME_UNKNOWN = (
    "Shopify did not confirm the refund, so it may or may not have happened. "
    "Retrying is safe: the same key never refunds twice."
)
# Shopify's answer to a key whose first request is still running (IDEMPOTENCY_CONCURRENT_REQUEST): refundCreate's
# untyped userErrors carry it as a message only
_IN_PROGRESS = "in progress"

Node = Mapping[str, Any]


# --- quoting ----------------------------------------------------------------------------------------------------


def quote_variables(order_id: str, choice: RefundChoice) -> dict[str, Any]:
    """Variables of the SuggestedRefund query for `choice` (an empty choice asks for the ceilings alone, a full one
    for everything that is left: the payments an amount refunded alone goes back to)."""
    return {
        "id": order_id,
        "lines": [_line_input(line) for line in choice.lines],
        "shipping": amount_text(choice.shipping),
        "full": choice.full,
    }


def read_quote(order: Node, line_items: Sequence[Node], fulfilled: Mapping[str, int]) -> RefundQuote:
    """A RefundQuote from SuggestedRefund's `order`, every page of its line items, and the shipped quantity of each."""
    currency = str(order["currencyCode"])
    _note_multi_currency(order)
    suggested: Node = order.get("suggestedRefund") or {}
    shipping: Node = suggested.get("shipping") or {}
    zero = Money.zero(currency)
    captured = payment_captured(order.get("displayFinancialStatus") or "")
    maximum = _money(suggested.get("maximumRefundableSet"), currency) if captured else zero
    transactions = _transactions(suggested.get("suggestedTransactions") or [], currency) if captured else ()
    return RefundQuote(
        currency=currency,
        lines=tuple(_refundable_line(node, currency, fulfilled.get(node["id"], 0)) for node in line_items),
        shipping_refundable=_money(shipping.get("maximumRefundableSet"), currency),
        maximum=maximum,
        amount=min(_money(suggested.get("amountSet"), currency), maximum),
        transactions=transactions,
    )


def _refundable_line(node: Node, currency: str, fulfilled: int) -> RefundableLine:
    quantity = int(node["quantity"])
    return RefundableLine(
        line_item_id=node["id"],
        name=node["name"],
        quantity=quantity,
        refundable_quantity=int(node["refundableQuantity"]),
        fulfilled_quantity=min(fulfilled, quantity),
        unit_refund=_money(node["discountedUnitPriceAfterAllDiscountsSet"], currency),
    )


def _transactions(suggestions: Sequence[Node], currency: str) -> tuple[RefundTransaction, ...]:
    result = []
    for suggestion in suggestions:
        amount = _money(suggestion.get("amountSet"), currency)
        if amount.amount > 0:  # a payment with nothing to give back is no transaction to send
            parent = suggestion.get("parentTransaction") or {}
            result.append(RefundTransaction(suggestion.get("gateway") or "", amount, parent.get("id") or ""))
    return tuple(result)


def _note_multi_currency(order: Node) -> None:
    presentment = order.get("presentmentCurrencyCode")
    if presentment and presentment != order["currencyCode"]:
        log.warning(
            "order %s was paid in %s: quoting in the shop's %s (presentment-currency refunds are not supported yet)",
            order.get("id"), presentment, order["currencyCode"],
        )  # fmt: skip


# --- refunding --------------------------------------------------------------------------------------------------


def create_refund(client: ShopifyClient, plan: RefundPlan, *, idempotency_key: str) -> StoreRefund:
    """Send `plan` through refundCreate under `idempotency_key`. The client retries timeouts and 5xx with the same
    key; what is still unanswered after that is RefundOutcomeUnknown, userErrors are RefundRefused, and any other
    failure (access denied, a bad token, ...) keeps its own worded error."""
    if not idempotency_key.strip():
        raise ValueError("a refund needs a non-blank idempotency key")  # Shopify refuses blank keys
    try:
        data = client.mutate(document("RefundCreate"), {"input": refund_input(plan)}, idempotency_key=idempotency_key)
    except (ShopifyUnavailable, ShopifyProtocolError) as exc:
        # timeouts, dropped connections, 5xx and garbled answers past the retries: Shopify may have refunded
        raise RefundOutcomeUnknown(OUTCOME_UNKNOWN) from exc
    return _refund_of(data.get("refundCreate") or {}, plan)


def refund_input(plan: RefundPlan) -> dict[str, Any]:
    """RefundInput from the plan and nothing else: the same plan gives the same input, byte for byte."""
    given: dict[str, Any] = {"orderId": plan.order_id, "notify": plan.notify_customer}
    if plan.note:
        given["note"] = plan.note
    # an amount alone (no items, no shipping) is the transactions only; plans with items or shipping keep sending
    # the list, even when empty, so that a retry of a plan made before carries the very same parameters
    if plan.lines or plan.shipping > 0:
        given["refundLineItems"] = [_line_input(line) for line in plan.lines]
    if plan.shipping > 0:
        given["shipping"] = {"amount": amount_text(plan.shipping)}
    given["transactions"] = [_transaction_input(plan.order_id, t) for t in plan.transactions]
    return given


def amount_text(amount: Decimal) -> str:
    """Shopify's Money scalar for `amount`, one spelling per value: a plan read back from storage as 29.90 is sent
    as the 29.9 it was planned with, so a retry's parameters stay identical."""
    return format(amount.normalize(), "f")


def _line_input(line: RefundLineChoice) -> dict[str, Any]:
    return {"lineItemId": line.line_item_id, "quantity": line.quantity, "restockType": line.restock.value}


def _transaction_input(order_id: str, transaction: RefundTransaction) -> dict[str, Any]:
    given: dict[str, Any] = {"orderId": order_id}
    if transaction.parent_id:
        given["parentId"] = transaction.parent_id
    given.update({"gateway": transaction.gateway, "kind": "REFUND", "amount": amount_text(transaction.amount.amount)})
    return given


def _refund_of(payload: Node, plan: RefundPlan) -> StoreRefund:
    errors = payload.get("userErrors") or []
    if errors:
        raise _refused(errors)
    refund = payload.get("refund")
    if not refund:
        # neither a refund nor a reason: nothing says whether money moved
        raise RefundOutcomeUnknown(OUTCOME_UNKNOWN)
    currency = plan.transactions[0].amount.currency if plan.transactions else "XXX"
    return StoreRefund(id=refund["id"], amount=_money(refund.get("totalRefundedSet"), currency))


def _refused(errors: Sequence[Node]) -> RefundRefused | RefundOutcomeUnknown:
    messages = [str(e.get("message") or "").strip() for e in errors]
    if any(_IN_PROGRESS in m.lower() for m in messages):
        return RefundOutcomeUnknown(OUTCOME_UNKNOWN)  # the first request with this key is still running
    reasons = "; ".join(m.rstrip(".") for m in messages if m) or "no reason given"
    return RefundRefused(f"Shopify refused the refund: {reasons}. Nothing was refunded by this request.")


# --- money ------------------------------------------------------------------------------------------------------


def _money(bag: Node | None, currency: str) -> Money:
    """A MoneyBag's shop money (zero when absent), in the smallest unit the currency has."""
    shop = (bag or {}).get("shopMoney") or {}
    return Money.parse(str(shop.get("amount") or "0"), shop.get("currencyCode") or currency).quantized()
