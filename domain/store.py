"""The store protocol: what workflows need from a shop's system of record (local or Shopify)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.orders import Order, OrderQuery, OrderSummary
from domain.refunds import RefundChoice, RefundPlan, RefundQuote, StoreRefund


class StoreError(Exception):
    """A store failed in a way a support agent should be told about; the message is fit to show."""


class RefundRefused(StoreError):
    """The store said no to a refund (over-refunding, a line already refunded, ...): nothing moved."""


class RefundOutcomeUnknown(StoreError):
    """The store did not answer in time: the refund may or may not have happened. Retrying with the same
    idempotency key is safe; it never refunds twice."""


class Store(Protocol):
    kind: str  # "local" | "shopify": whose ids an order reference holds
    name: str  # how agents are told where an order was looked up

    def find_orders(self, query: OrderQuery, limit: int) -> list[OrderSummary]:
        """Matching orders, newest first, at most `limit`."""
        ...

    def get_order(self, order_id: str) -> Order | None: ...

    def visibility_note(self) -> str | None:
        """Why an order may exist although no search finds it (None: searches see every order)."""
        ...

    def create_return(
        self,
        order_id: str,
        items: Sequence[tuple[str, int, str]],
        *,
        tracking_number: str,
        tracking_url: str,
        label_url: str | None,
        notify_customer: bool,
    ) -> str:
        """Record a return of `items` (line item id as in Order.line_items, quantity, reason note) shipped back
        under this tracking; safe to call again with the same items. Returns the store's return id ("" when the
        store keeps no returns of its own)."""
        ...

    def refund_quote(self, order_id: str, choice: RefundChoice) -> RefundQuote:
        """What `choice` would refund now, with every line's refundable quantity and the ceilings. Never writes.
        An empty choice gives the ceilings alone (amount zero). Raises StoreError when the order is gone."""
        ...

    def create_refund(self, plan: RefundPlan, *, idempotency_key: str) -> StoreRefund:
        """Refund as planned, at most once per key: a repeat with the same key returns the first refund.
        Raises RefundRefused when the store declines, RefundOutcomeUnknown when it may have happened."""
        ...
