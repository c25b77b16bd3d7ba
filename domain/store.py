"""The store protocol: what workflows need from a shop's system of record (local or Shopify)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.cancellations import CancelPlan, CancelProgress
from domain.orders import Order, OrderQuery, OrderSummary
from domain.refunds import RefundChoice, RefundPlan, RefundQuote, StoreRefund
from domain.replacements import ReplacementOrder, ReplacementPlan, Variant
from domain.sales import SalesPage


class StoreError(Exception):
    """A store failed in a way a support agent should be told about; the message is fit to show."""


class RefundRefused(StoreError):
    """The store said no to a refund (over-refunding, a line already refunded, ...): nothing moved."""


class RefundOutcomeUnknown(StoreError):
    """The store did not answer in time: the refund may or may not have happened. Retrying with the same
    idempotency key is safe; it never refunds twice."""


class CancelRefused(StoreError):
    """The store said no to a cancellation (already cancelled, a return in progress, ...): nothing changed."""


class ReplacementRefused(StoreError):
    """The store said no to a replacement (a variant gone or out of stock, an address it cannot ship to): nothing
    was made. `field` names what the agent should change ("lines.0.variant", "address"), or is ""."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class Disposition(StrEnum):
    """What becomes of a returned unit once it is back (Shopify's dispositions)."""

    RESTOCKED = "restocked"  # resellable: back into stock
    NOT_RESTOCKED = "not_restocked"  # damaged
    MISSING = "missing"  # not in the parcel


@dataclass(frozen=True)
class ReceivedLine:
    line_item_id: str  # as in Order.line_items
    quantity: int
    disposition: Disposition


@dataclass(frozen=True)
class StoreReturn:
    """A return as the store's own system has it now."""

    id: str
    status: str  # requested | open | closed | cancelled | declined
    processed: Mapping[str, int] = field(default_factory=dict)  # line item id -> units processed (received)

    @property
    def received(self) -> bool:
        """Processed or closed in the store's admin: the parcel came back there."""
        return self.status == "closed" or any(q > 0 for q in self.processed.values())


class Store(Protocol):
    kind: str  # "local" | "shopify": whose ids an order reference holds
    name: str  # how agents are told where an order was looked up

    @property
    def notifies_customers(self) -> bool:
        """Whether the store can e-mail the customer about a refund itself (Shopify's notify flag); the local
        store has no mail of its own, so a form must not promise it."""
        ...

    @property
    def keeps_returns(self) -> bool:
        """Whether the store keeps returns of its own (Shopify), which `create_return` records; False when the
        bot's return case is the only record (the local store), so there is nothing to record in the store."""
        ...

    @property
    def refunds_to_store_credit(self) -> bool:
        """Whether a cancellation can refund as store credit (Shopify); the local store has none."""
        ...

    def find_orders(self, query: OrderQuery, limit: int) -> list[OrderSummary]:
        """Matching orders, newest first, at most `limit`."""
        ...

    def count_orders(self, query: OrderQuery, cap: int) -> int | None:
        """How many orders match, counted up to `cap` (a pick list says "5,000 orders match"); None when the
        store cannot count them."""
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

    def process_return(self, order_id: str, return_id: str, lines: Sequence[ReceivedLine], *, note: str) -> None:
        """Tell the store what came back of its return `return_id` (quantities and dispositions), once: what it
        has processed already is not sent again. No refund is made here (refunds go through create_refund)."""
        ...

    def read_returns(self, return_ids: Sequence[str]) -> dict[str, StoreReturn]:
        """The store's returns by id, as they are now (missing: the store does not know the id)."""
        ...

    def cancel_return(self, return_id: str) -> None:
        """End a return that never came back: cancelled, or closed where the store no longer cancels it."""
        ...

    def refund_quote(self, order_id: str, choice: RefundChoice) -> RefundQuote:
        """What `choice` would refund now, with every line's refundable quantity and the ceilings. Never writes.
        An empty choice gives the ceilings alone (amount zero). Raises StoreError when the order is gone."""
        ...

    def create_refund(self, plan: RefundPlan, *, idempotency_key: str) -> StoreRefund:
        """Refund as planned, at most once per key: a repeat with the same key returns the first refund.
        Raises RefundRefused when the store declines, RefundOutcomeUnknown when it may have happened."""
        ...

    def find_variants(self, text: str, limit: int) -> list[Variant]:
        """What the shop sells whose title or SKU matches `text` ("" lists the first ones), at most `limit`."""
        ...

    def get_variant(self, variant_id: str) -> Variant | None:
        """One variant by the id `find_variants` gave (None: the shop does not sell it any more)."""
        ...

    def create_replacement(self, plan: ReplacementPlan) -> ReplacementOrder:
        """A paid order at no cost to the customer as planned, tagged, and the original's note extended; at most
        once per `plan.key` (a repeat finds the order made before and finishes what is left). Raises
        ReplacementRefused when the store declines."""
        ...

    def sales_page(self, start: datetime, end: datetime, after: str | None) -> SalesPage:
        """One page of the orders created in [start, end), oldest first, for the sales report; `after` is the
        cursor of the page before (None: the first page)."""
        ...

    def cancel_order(self, plan: CancelPlan) -> CancelProgress:
        """Cancel the order as planned: refund, restock, notify. Never cancels twice: an order found cancelled
        already is answered as done without sending anything. May answer before the store has finished (a job
        still running: `done` False, poll `cancel_progress`). Raises CancelRefused when the store says no."""
        ...

    def cancel_progress(self, order_id: str, job_id: str) -> CancelProgress:
        """How the cancellation started as `job_id` stands now (done: with the order's cancelled time and refund)."""
        ...
