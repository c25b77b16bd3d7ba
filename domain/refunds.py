"""Refunds as a store understands them: what was chosen, what can go back, what is sent."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from domain.money import Money


class RestockType(enum.StrEnum):
    """Shopify's RefundLineItemRestockType, minus the legacy value new refunds may not use."""

    RETURN = "RETURN"  # shipped items come back into stock
    CANCEL = "CANCEL"  # items not shipped yet are released
    NO_RESTOCK = "NO_RESTOCK"


class RequestKind(enum.StrEnum):
    """What an approval request asks for. Every kind shares the refund machinery: the auto-approve limit (counted
    per kind), team leads deciding (never the requester, one decision wins) and one execution under one key."""

    REFUND = "refund"
    REPLACEMENT = "replacement"  # a free order sent in place of items broken, lost or wrong
    CANCELLATION = "cancellation"  # an order cancelled in the store


class RefundStatus(enum.StrEnum):
    """Where a refund request is: before a team lead, decided, being refunded, done.

    pending_approval -> approved -> executing -> succeeded | failed
    pending_approval -> rejected
    failed -> executing                       (a retry: same idempotency key, one more attempt)
    """

    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTING = "executing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        """Nothing leaves these; `failed` can still be retried."""
        return self in (RefundStatus.REJECTED, RefundStatus.SUCCEEDED)

    @property
    def open(self) -> bool:
        """On its way to a refund: an order has at most one such request unless a team lead adds another."""
        return self in OPEN_REFUND_STATUSES


OPEN_REFUND_STATUSES = frozenset({RefundStatus.PENDING_APPROVAL, RefundStatus.APPROVED, RefundStatus.EXECUTING})


@dataclass(frozen=True, slots=True)
class RefundLineChoice:
    line_item_id: str  # as in Order.line_items
    quantity: int
    restock: RestockType = RestockType.NO_RESTOCK


@dataclass(frozen=True, slots=True)
class RefundChoice:
    """What the agent picked in the refund form: lines, and how much shipping to give back.

    `full` asks for everything still refundable instead (Shopify's suggestFullRefund; the lines and shipping
    are then ignored): a quote for it names the payments an amount refunded alone can go back to.
    """

    lines: tuple[RefundLineChoice, ...] = ()
    shipping: Decimal = Decimal(0)
    full: bool = False


@dataclass(frozen=True, slots=True)
class RefundableLine:
    line_item_id: str
    name: str
    quantity: int  # as ordered
    refundable_quantity: int  # not refunded (or removed) yet
    fulfilled_quantity: int  # shipped: refunding these restocks with RETURN, the rest with CANCEL
    unit_refund: Money  # what one unit gives back, after discounts (taxes included as charged)


@dataclass(frozen=True, slots=True)
class RefundTransaction:
    """One payment the money goes back to."""

    gateway: str
    amount: Money
    parent_id: str = ""  # the store's id of the sale or capture refunded ("" in the local store)


@dataclass(frozen=True, slots=True)
class RefundQuote:
    """What the store would refund for a choice, and what can still be refunded at all."""

    currency: str
    lines: tuple[RefundableLine, ...]  # every line of the order, with what is left of it
    shipping_refundable: Money  # shipping not refunded yet
    maximum: Money  # money that can still go back (zero while nothing is captured)
    amount: Money  # the suggested total of the choice: its lines and shipping, never above `maximum`
    transactions: tuple[RefundTransaction, ...]  # how `amount` would go back, payment by payment


@dataclass(frozen=True, slots=True)
class RefundPlan:
    """What is sent to the store: fixed when the refund is requested, resent unchanged on every retry
    (Shopify refuses a repeated idempotency key with different parameters)."""

    order_id: str
    lines: tuple[RefundLineChoice, ...]
    shipping: Decimal
    transactions: tuple[RefundTransaction, ...]  # they add up to the amount refunded
    note: str = ""
    notify_customer: bool = False

    @property
    def amount(self) -> Decimal:
        return sum((t.amount.amount for t in self.transactions), Decimal(0))


@dataclass(frozen=True, slots=True)
class StoreRefund:
    id: str  # the store's refund id
    amount: Money
