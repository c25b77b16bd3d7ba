"""Cancelling an order of the local store: one write transaction, as a refund is (integrations/local_store/refunds.py).

No money moves and no stock is kept here, so a cancellation is what the records say: the order's `cancelled_at`,
a ledger refund of what was captured and not refunded yet (a `refund` row in `order_transactions`, under a key
of its own so a repeat records it once), the lines released (`refunded_quantity`), the fulfillment status
`restocked` when restocking, and the financial status. An order found cancelled already is answered as done:
nothing is written twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.cancellations import CancelPlan, CancelProgress, CancelRefund
from domain.money import Money
from domain.orders import FinancialStatus, FulfillmentStatus
from domain.store import CancelRefused
from integrations.local_store.refunds import REFUND, _captured, _gateway
from storage.db import Database
from storage.models import OrderRow, TransactionRow


def cancel_order(db: Database, plan: CancelPlan, *, now: datetime) -> CancelProgress:
    if plan.refund is CancelRefund.STORE_CREDIT:
        raise CancelRefused("The local store has no store credit: refund to the payment method, or not at all.")
    with db.session(write=True) as s:
        order = _order(s, plan.order_id)
        if order.cancelled_at is not None:
            return _done(order)
        problem = _refusal(order)
        if problem:
            raise CancelRefused(problem)
        before = Money(order.refunded, order.currency)
        left = max(_captured(order) - order.refunded, Decimal(0))
        if plan.refund is not CancelRefund.NONE and left > 0:
            s.add(
                TransactionRow(
                    order_id=order.id, kind=REFUND, amount=left, currency=order.currency, gateway=_gateway(order),
                    reference=f"returnbot:cancel:{order.id}", created_at=now, idempotency_key=f"cancel:{order.id}",
                )
            )  # fmt: skip
            order.refunded += left
        for line in order.line_items:
            line.refunded_quantity = line.quantity  # a cancelled order's lines leave it
        order.financial_status = _financial_after(order)
        if plan.restock:
            order.fulfillment_status = FulfillmentStatus.RESTOCKED.value
        order.cancelled_at = now
        order.updated_at = now
        s.flush()
        return _done(order, before)


def cancel_progress(db: Database, order_id: str) -> CancelProgress:
    with db.session() as s:
        order = _order(s, order_id)
        return _done(order) if order.cancelled_at is not None else CancelProgress(done=False)


def _order(s: Session, order_id: str) -> OrderRow:
    order = None
    if order_id.strip().isdigit():
        # PostgreSQL: a refund of this order waits here; SQLite's write session is exclusive already
        order = s.scalars(select(OrderRow).where(OrderRow.id == int(order_id)).with_for_update()).first()
    if order is None:
        raise CancelRefused(f"Order {order_id} is not in the local store.")
    return order


def _refusal(order: OrderRow) -> str:
    fulfillment = FulfillmentStatus.parse(order.fulfillment_status)
    if fulfillment in (FulfillmentStatus.FULFILLED, FulfillmentStatus.PARTIAL) or order.fulfillments:
        return f"Order {order.name} has shipped items: it cannot be cancelled."
    if FinancialStatus.parse(order.financial_status) is FinancialStatus.PENDING:
        return f"The payment of order {order.name} is pending: it cannot be cancelled until it is settled."
    return ""


def _financial_after(order: OrderRow) -> str:
    status = FinancialStatus.parse(order.financial_status)
    if not status.captured:
        return FinancialStatus.VOIDED.value  # an authorization is released with the order
    if order.refunded <= 0:
        return status.value
    whole = order.refunded >= _captured(order)
    return (FinancialStatus.REFUNDED if whole else FinancialStatus.PARTIALLY_REFUNDED).value


def _done(order: OrderRow, before: Money | None = None) -> CancelProgress:
    refunded = Money(order.refunded, order.currency)
    return CancelProgress(done=True, cancelled_at=order.cancelled_at, refunded=refunded, refunded_before=before)
