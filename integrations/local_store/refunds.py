"""Refunds in the local store: quotes from what is left of an order, and refunds kept as a ledger.

No money moves here: a refund is a `refund` row in `order_transactions` plus the counters it raises
(`line_items.refunded_quantity`, `orders.refunded_shipping`, `orders.refunded`). The Shopify export only
knows order-level refunds, so the counters start at zero on import and count the bot's refunds alone;
the order's `refunded` total includes both.

`create_refund` is one write transaction that re-checks the plan against the order as it is now. Two
refunds of one order never interleave: PostgreSQL locks the order row first (`SELECT ... FOR UPDATE`),
SQLite's write sessions begin with `BEGIN IMMEDIATE` (storage.db) and so run one at a time. A refund is
recorded once per idempotency key; the UNIQUE key column settles a race the lock does not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.money import Money
from domain.orders import FulfillmentStatus, payment_captured
from domain.refunds import (
    RefundableLine,
    RefundChoice,
    RefundLineChoice,
    RefundPlan,
    RefundQuote,
    RefundTransaction,
    StoreRefund,
)
from domain.store import RefundRefused, StoreError
from storage.db import Database
from storage.models import LineItemRow, OrderRow, TransactionRow

REFUND = "refund"
SALE = "sale"
MAX_KEY = 64  # order_transactions.idempotency_key
_GATEWAY_LENGTH = 128  # order_transactions.gateway
_REFERENCE_LENGTH = 255  # order_transactions.reference


# -- quoting -----------------------------------------------------------------------------------------


def refund_quote(db: Database, order_id: str, choice: RefundChoice) -> RefundQuote:
    """What `choice` would refund now; quantities and shipping above what is left are capped, not refused
    (as Shopify's suggestedRefund does). Never writes."""
    with db.session() as s:
        order = _order(s, order_id, lock=False)
        if order is None:
            raise StoreError(f"Order {order_id} not found in the local store")
        return _quote(order, choice)


def _quote(order: OrderRow, choice: RefundChoice) -> RefundQuote:
    currency = order.currency
    shipping_refundable = _shipping_refundable(order)
    if choice.full:  # everything that is left, as Shopify's suggestFullRefund
        choice = RefundChoice(
            tuple(RefundLineChoice(str(li.id), _refundable(order, li)) for li in order.line_items),
            shipping_refundable.amount,
        )
    lines_amount = Money.zero(currency)
    for li, qty in _capped(order, choice.lines):
        lines_amount += _lines_amount(li, qty, currency)
    shipping = Money(min(max(choice.shipping, Decimal(0)), shipping_refundable.amount), currency).quantized()
    maximum = _maximum(order)
    amount = min(lines_amount + shipping, maximum)
    return RefundQuote(
        currency=currency,
        lines=tuple(_refundable_line(order, li) for li in order.line_items),
        shipping_refundable=shipping_refundable,
        maximum=maximum,
        amount=amount,
        transactions=(RefundTransaction(_gateway(order), amount),) if amount.amount > 0 else (),
    )


def _capped(order: OrderRow, lines: Iterable[RefundLineChoice]) -> list[tuple[LineItemRow, int]]:
    """The chosen lines with their quantities cut to what is left of them (never below zero)."""
    by_id = _lines_by_id(order)
    capped = []
    for line_id, qty in _chosen(lines).items():
        li = by_id.get(line_id)
        if li is None:
            raise StoreError(f"line item {line_id} is not on order {order.name}")
        capped.append((li, min(max(qty, 0), _refundable(order, li))))
    return capped


def _refundable_line(order: OrderRow, li: LineItemRow) -> RefundableLine:
    return RefundableLine(
        line_item_id=str(li.id),
        name=li.name,
        quantity=li.quantity,
        refundable_quantity=_refundable(order, li),
        fulfilled_quantity=li.quantity if _shipped(li) else 0,
        unit_refund=Money(_net(li) / li.quantity, order.currency).quantized(),
    )


# -- refunding ---------------------------------------------------------------------------------------


def create_refund(db: Database, plan: RefundPlan, *, idempotency_key: str, now: datetime) -> StoreRefund:
    """Record `plan` as a refund, at most once per key; a repeat returns the first refund unchanged.
    Raises RefundRefused (nothing written) when the order cannot give back what the plan asks for now."""
    if not idempotency_key or len(idempotency_key) > MAX_KEY:
        raise ValueError(f"an idempotency key has 1 to {MAX_KEY} characters, got {idempotency_key!r}")
    try:
        with db.session(write=True) as s:
            return _apply(s, plan, idempotency_key, now)
    except IntegrityError:
        # another process recorded this key between our check and our insert (the lock makes that rare);
        # the session has rolled back, so nothing of ours was written: answer with theirs
        with db.session() as s:
            recorded = _recorded(s, idempotency_key)
            if recorded is None:
                raise
            return _repeat(recorded, plan)


def _apply(s: Session, plan: RefundPlan, key: str, now: datetime) -> StoreRefund:
    # the lock comes first: the key check below then sees every refund committed before ours may begin
    order = _order(s, plan.order_id, lock=True)
    if order is None:
        raise RefundRefused(f"Order {plan.order_id} not found in the local store")
    recorded = _recorded(s, key)
    if recorded is not None:
        return _repeat(recorded, plan)
    problems = _problems(order, plan)
    if problems:
        raise RefundRefused("; ".join(problems))
    row = _record(s, order, plan, key, now)
    return _store_refund(row)


def _record(s: Session, order: OrderRow, plan: RefundPlan, key: str, now: datetime) -> TransactionRow:
    by_id = _lines_by_id(order)
    for line_id, qty in _chosen(plan.lines).items():
        by_id[line_id].refunded_quantity += qty
    amount = plan.amount
    order.refunded_shipping += plan.shipping
    order.refunded += amount
    order.financial_status = "refunded" if order.refunded >= _captured(order) else "partially_refunded"
    order.updated_at = now
    gateways = ", ".join(dict.fromkeys(t.gateway for t in plan.transactions if t.gateway))
    row = TransactionRow(
        order_id=order.id, kind=REFUND, amount=amount, currency=order.currency,
        gateway=(gateways or _gateway(order))[:_GATEWAY_LENGTH],
        # there is no payment provider to hold a reference: point at the request that made the refund
        reference=f"returnbot:{key}"[:_REFERENCE_LENGTH],
        created_at=now, idempotency_key=key,
    )  # fmt: skip
    s.add(row)
    s.flush()  # the id names the refund; a duplicate key fails here, before anything is committed
    return row


def _problems(order: OrderRow, plan: RefundPlan) -> list[str]:
    """Why `plan` cannot be refunded from `order` as it is now, in words for a support agent."""
    currency = order.currency
    wrong_currency = sorted({t.amount.currency for t in plan.transactions} - {currency})
    if wrong_currency:
        return [f"order {order.name} was paid in {currency}, not {', '.join(wrong_currency)}"]
    amount = Money(plan.amount, currency)
    problems = _line_problems(order, plan.lines) + _shipping_problems(order, plan.shipping)
    if amount.amount <= 0 or any(t.amount.amount <= 0 for t in plan.transactions):
        problems.append(f"there is nothing to refund: every payment needs an amount above {Money.zero(currency)}")
    elif amount != amount.quantized():
        problems.append(f"{amount.amount} has more decimals than {currency} has")
    elif amount > _maximum(order):
        problems.append(_over_maximum(order))
    return problems


def _line_problems(order: OrderRow, lines: Iterable[RefundLineChoice]) -> list[str]:
    by_id = _lines_by_id(order)
    problems = []
    for line_id, qty in _chosen(lines).items():
        li = by_id.get(line_id)
        if li is None:
            problems.append(f"line item {line_id} is not on order {order.name}")
        elif qty < 1:
            problems.append(f"a quantity of {qty} × {li.name} cannot be refunded")
        elif qty > (left := _refundable(order, li)):
            problems.append(_over_quantity(order, li, left))
    return problems


def _over_quantity(order: OrderRow, li: LineItemRow, left: int) -> str:
    if order.cancelled_at is not None:
        return f"order {order.name} is cancelled: {li.name} cannot be refunded"
    if left == 0:
        return f"{li.name} has been refunded already (all {li.quantity})"
    return f"only {left} × {li.name} can still be refunded"


def _shipping_problems(order: OrderRow, shipping: Decimal) -> list[str]:
    left = _shipping_refundable(order)
    if shipping < 0:
        return ["the shipping to refund cannot be negative"]
    if shipping > left.amount:
        return [f"only {left} of shipping can still be refunded" if left.amount else "no shipping is left to refund"]
    return []


def _over_maximum(order: OrderRow) -> str:
    maximum = _maximum(order)
    if maximum.amount:
        return f"only {maximum} can still be refunded"
    if _captured(order) == 0:
        return f"nothing can be refunded: the payment of order {order.name} is {order.financial_status}, not captured"
    return f"nothing can be refunded: order {order.name} has been refunded in full"


def _repeat(recorded: TransactionRow, plan: RefundPlan) -> StoreRefund:
    """The refund an earlier call made under this key, if it is the same refund (as Shopify, which refuses a
    key that comes back with other parameters)."""
    if str(recorded.order_id) != plan.order_id.strip() or recorded.amount != plan.amount:
        raise RefundRefused(
            "this refund's key was used before for another refund (a different order or amount): nothing was refunded"
        )
    return _store_refund(recorded)


def _store_refund(row: TransactionRow) -> StoreRefund:
    return StoreRefund(id=f"local-refund-{row.id}", amount=Money(row.amount, row.currency).quantized())


# -- reading -----------------------------------------------------------------------------------------


def _order(s: Session, order_id: str, *, lock: bool) -> OrderRow | None:
    order_id = order_id.strip()
    if not order_id.isdigit():
        return None
    stmt = select(OrderRow).where(OrderRow.id == int(order_id))
    if lock:
        # PostgreSQL: concurrent refunds of this order wait here. SQLite renders no FOR UPDATE; there the
        # write session's BEGIN IMMEDIATE already holds the database's write lock.
        stmt = stmt.with_for_update()
    return s.scalars(stmt).first()


def _recorded(s: Session, key: str) -> TransactionRow | None:
    return s.scalars(select(TransactionRow).where(TransactionRow.idempotency_key == key)).first()


# -- arithmetic --------------------------------------------------------------------------------------


def _chosen(lines: Iterable[RefundLineChoice]) -> dict[str, int]:
    """Quantity per line item; a line chosen twice counts with both quantities."""
    chosen: dict[str, int] = {}
    for line in lines:
        line_id = line.line_item_id.strip()
        chosen[line_id] = chosen.get(line_id, 0) + line.quantity
    return chosen


def _lines_by_id(order: OrderRow) -> dict[str, LineItemRow]:
    return {str(li.id): li for li in order.line_items}


def _refundable(order: OrderRow, li: LineItemRow) -> int:
    if order.cancelled_at is not None:
        return 0  # a cancelled order's lines were removed from it: its money goes back as a whole, if at all
    return max(li.quantity - li.refunded_quantity, 0)


def _shipped(li: LineItemRow) -> bool:
    # as the order card reads it (see store._line_item): a fulfilled status, or a parcel the line went in
    return (
        FulfillmentStatus.parse(li.fulfillment_status) is FulfillmentStatus.FULFILLED or li.fulfillment_id is not None
    )


def _net(li: LineItemRow) -> Decimal:
    """What the line was charged: price times quantity less the line's discount (taxes included as charged)."""
    return max(li.price * li.quantity - li.discount, Decimal(0))


def _lines_amount(li: LineItemRow, quantity: int, currency: str) -> Money:
    # multiplied before divided: exact until the one rounding to the currency's minor units
    return Money(_net(li) * quantity / li.quantity, currency).quantized()


def _shipping_refundable(order: OrderRow) -> Money:
    return Money(max(order.shipping - order.refunded_shipping, Decimal(0)), order.currency).quantized()


def _captured(order: OrderRow) -> Decimal:
    return order.total if payment_captured(order.financial_status) else Decimal(0)


def _maximum(order: OrderRow) -> Money:
    """Money that can still go back: what was captured less what was refunded (imported refunds included)."""
    return Money(max(_captured(order) - order.refunded, Decimal(0)), order.currency).quantized()


def _gateway(order: OrderRow) -> str:
    """Where the money came from: the sale's gateway, else the order's payment method."""
    for t in order.transactions:
        if t.kind == SALE and t.gateway:
            return t.gateway
    return order.payment_method[:_GATEWAY_LENGTH]
