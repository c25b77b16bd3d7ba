"""Refunds: what an order can still give back, the agent's form, the team lead's decision and the store's refund.

1. `options` reads what is left to refund (the store's quote for an empty choice) and refuses orders
   with nothing to give back, in words.
2. `check_form` checks the agent's choices against those ceilings without I/O (a modal's ack is quick).
3. `request_refund` asks the store for the total of the choice, freezes the plan (lines, shipping, the
   payments the money goes back to) and records a RefundRequest: pending a team lead's decision, or
   approved at once when the amount is within REFUND_AUTO_APPROVE_LIMIT.
4. `approve` / `reject` decide; the database decides who was first (storage.refunds).
5. `execute` sends the frozen plan to the store under the request's one idempotency key, on every attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from commands.errors import UserError
from commands.lookup import get_order, store_errors_as_user_errors
from commands.returns import cases_for_order
from commands.services import Services
from domain.money import Money, minor_units
from domain.orders import FinancialStatus, Order, OrderRef
from domain.refunds import RefundChoice, RefundLineChoice, RefundPlan, RefundQuote, RefundTransaction, RestockType
from domain.store import StoreError
from storage import refunds
from storage.refunds import PlannedPayment, RefundDraft, RefundLine, RefundRequestView, Transition

REASONS = {
    "returned": "Returned by the customer",
    "damaged": "Arrived damaged or defective",
    "wrong_item": "Wrong item sent",
    "not_delivered": "Never arrived",
    "late": "Delivered late",
    "price_adjustment": "Price adjustment",
    "goodwill": "Goodwill",
    "other": "Other",
}
DEFAULT_REASON = "returned"
MAX_NOTE = 500

_REFUNDABLE = (FinancialStatus.PAID, FinancialStatus.PARTIALLY_PAID, FinancialStatus.PARTIALLY_REFUNDED)


@dataclass(frozen=True)
class RefundPolicy:
    auto_approve_limit: Decimal = Decimal(0)  # refunds up to this amount need no team lead (0: every refund does)

    def needs_approval(self, amount: Money) -> bool:
        return amount.amount > self.auto_approve_limit


@dataclass(frozen=True)
class RefundOptions:
    """What the refund form starts from."""

    order: Order
    quote: RefundQuote  # what is left: every line's refundable quantity, shipping and money
    prefill: dict[str, int]  # line item id -> quantity, from the order's latest return
    from_return: str  # that return's RMA ("" when there is none)
    restock: bool  # the form's default: restock when items come back, or were never shipped
    can_notify: bool  # the store sends customers refund notifications (Shopify does; the local store has no mail)


@dataclass(frozen=True)
class Limits:
    """The ceilings the form is checked against, small enough to travel in the modal's metadata."""

    currency: str
    lines: dict[str, tuple[int, str]]  # line item id -> (refundable quantity, name)
    shipping: Decimal
    maximum: Decimal


@dataclass(frozen=True)
class RefundForm:
    quantities: dict[str, int]  # line item id -> units to refund
    shipping: Decimal
    restock: bool
    amount: Decimal | None  # a custom amount; None: the total the store computes for the choice
    reason: str  # a REASONS key
    note: str = ""
    notify_customer: bool = True


@dataclass(frozen=True)
class Requested:
    request: RefundRequestView
    created: bool  # False: this form had been submitted before, `request` is that submission's


# -- the form --------------------------------------------------------------------------------------


def options(services: Services, order_id: str) -> RefundOptions:
    return options_for(services, get_order(services, order_id))


def options_for(services: Services, order: Order) -> RefundOptions:
    """The form's starting point; a UserError says why this order has nothing to refund."""
    if order.cancelled:
        raise UserError(f"Order {order.name} was cancelled: there is nothing left to refund here.")
    if not order.financial_status.captured:
        raise UserError(f"Order {order.name}: the payment is not captured yet, so there is nothing to refund yet.")
    if order.financial_status == FinancialStatus.REFUNDED:
        raise UserError(f"Order {order.name} is already fully refunded.")
    with store_errors_as_user_errors():
        quote = services.store.refund_quote(order.ref.id, RefundChoice())
    if quote.maximum.amount <= 0:
        raise UserError(f"Order {order.name} has nothing left to refund.")
    refundable = {line.line_item_id: line.refundable_quantity for line in quote.lines}
    prefill, rma = _from_latest_return(services, order, refundable)
    unshipped = any(line.fulfilled_quantity < line.quantity for line in quote.lines if line.refundable_quantity)
    notifies = services.store.kind == "shopify"
    return RefundOptions(order, quote, prefill, rma, restock=bool(prefill) or unshipped, can_notify=notifies)


def limits_of(quote: RefundQuote) -> Limits:
    return Limits(
        currency=quote.currency,
        lines={li.line_item_id: (li.refundable_quantity, li.name) for li in quote.lines if li.refundable_quantity},
        shipping=quote.shipping_refundable.amount,
        maximum=quote.maximum.amount,
    )


def parse_amount(text: str, currency: str) -> Decimal:
    """An amount as typed ("12,50", "12.50 €", "1 234.5"); ValueError says what is wrong with it, in words."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").removesuffix(currency).removesuffix("€")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # a decimal comma, as written in most of the Nordics and Baltics
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"“{text.strip()[:40]}” is not an amount: write it like 12.50") from None
    if not amount.is_finite():
        raise ValueError(f"“{text.strip()[:40]}” is not an amount: write it like 12.50")
    if amount <= 0:
        raise ValueError("The amount must be more than zero.")
    digits = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-digits)):
        raise ValueError(f"{currency} has {digits} decimals: {amount} has more.")
    return amount


def check_form(form: RefundForm, limits: Limits) -> dict[str, str]:
    """Field errors by field: "line:<line item id>", "lines", "shipping", "amount", "reason". No I/O."""
    errors: dict[str, str] = {}
    cur = limits.currency
    for line_id, quantity in form.quantities.items():
        most, name = limits.lines.get(line_id, (0, "this item"))
        if quantity > most:
            errors[f"line:{line_id}"] = f"Only {most} × {name} can still be refunded."
    if form.shipping < 0 or form.shipping > limits.shipping:
        errors["shipping"] = f"At most {Money(limits.shipping, cur)} of shipping can still be refunded."
    if not any(form.quantities.values()) and form.shipping == 0:
        errors["lines"] = "Choose at least one item or some shipping to refund."
    if form.amount is not None and form.amount > limits.maximum:
        errors["amount"] = f"Only {Money(limits.maximum, cur)} can still be refunded on this order."
    if form.reason not in REASONS:
        errors["reason"] = "Choose a reason."
    if len(form.note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    return errors


def choice_of(form: RefundForm, shipped: Mapping[str, int]) -> RefundChoice:
    """The store's view of the form: restocking shipped units returns them, unshipped ones are cancelled.
    `shipped`: line item id -> units shipped."""
    lines = tuple(
        RefundLineChoice(line_id, quantity, _restock(form.restock, shipped.get(line_id, 0)))
        for line_id, quantity in form.quantities.items()
        if quantity > 0
    )
    return RefundChoice(lines, form.shipping)


def quote(services: Services, order_id: str, form: RefundForm, shipped: Mapping[str, int]) -> RefundQuote:
    """The store's total for the form's choices (the form shows it as the agent chooses)."""
    with store_errors_as_user_errors():
        return services.store.refund_quote(order_id, choice_of(form, shipped))


def can_refund(order: Order) -> bool:
    """Worth offering a Refund button: money was captured and the order is not cancelled (the form checks more)."""
    return not order.cancelled and order.financial_status in _REFUNDABLE


def default_form(opened: RefundOptions, amount: Decimal | None = None) -> RefundForm:
    """The form as it opens: the latest return's items, restock as the order's state suggests. No reason is
    chosen for the agent unless the items come from a return."""
    return RefundForm(
        quantities=dict(opened.prefill), shipping=Decimal(0), restock=opened.restock, amount=amount,
        reason=DEFAULT_REASON if opened.prefill else "", notify_customer=opened.can_notify and bool(opened.order.email),
    )  # fmt: skip


def total_of(form: RefundForm, priced: RefundQuote) -> Money:
    return Money(form.amount, priced.currency) if form.amount is not None else priced.amount


# -- requesting and deciding -----------------------------------------------------------------------


def request_refund(
    services: Services,
    policy: RefundPolicy,
    order: OrderRef,
    form: RefundForm,
    *,
    shipped: Mapping[str, int],
    requester: str,
    submission_key: str,
    channel: str = "",
    thread_ts: str = "",
) -> Requested:
    """Price the choice as the store sees it now, freeze the plan and record the request (once per submission).

    `shipped` (line item id -> units shipped, as the form showed them) decides each line's restock type. One
    read of the store serves the price and the check: a quote carries what is still refundable too."""
    choice = choice_of(form, shipped)
    with store_errors_as_user_errors():
        priced = services.store.refund_quote(order.id, choice)
    errors = check_form(form, limits_of(priced))
    if errors:
        raise UserError(" ".join(errors.values()))
    total = total_of(form, priced)
    if total.amount <= 0:
        raise UserError(f"Nothing to refund: the chosen items of {order.name} add up to {total}.")
    if total > priced.maximum:
        raise UserError(f"Only {priced.maximum} can still be refunded on {order.name}.")
    names = {li.line_item_id: li.name for li in priced.lines}
    draft = RefundDraft(
        store=services.store.kind, order_id=order.id, order_name=order.name,
        lines=tuple(RefundLine(c.line_item_id, names.get(c.line_item_id, ""), c.quantity, c.restock)
                    for c in choice.lines),
        shipping=form.shipping, restock="RETURN" if form.restock else "NO_RESTOCK", amount=total.amount,
        currency=total.currency, reason=form.reason, note=form.note.strip(), notify_customer=form.notify_customer,
        transactions=tuple(PlannedPayment(t.gateway, t.amount.amount, t.parent_id)
                           for t in allocate(priced.transactions, total)),
    )  # fmt: skip
    request, created = refunds.create_once(
        services.db, draft, requested_by=requester, at=services.clock(),
        auto_approved=not policy.needs_approval(total), slack_channel=channel, slack_thread_ts=thread_ts,
        submission_key=submission_key,
    )  # fmt: skip
    return Requested(request, created)


def allocate(suggested: Sequence[RefundTransaction], total: Money) -> tuple[RefundTransaction, ...]:
    """Spread `total` over the store's suggested payments: the first ones first, the rest on the last.

    A custom amount below the suggestion takes from the payments in order; one above it puts the extra on
    the last payment (the store refuses it if that payment cannot take it, and nothing moves).
    """
    if not suggested:
        raise UserError("The store suggests no payment to refund this to; refund it in the store's admin.")
    left = total.amount
    planned: list[RefundTransaction] = []
    for index, payment in enumerate(suggested):
        last = index == len(suggested) - 1
        share = left if last else min(left, payment.amount.amount)
        if share > 0:
            planned.append(RefundTransaction(payment.gateway, Money(share, total.currency), payment.parent_id))
        left -= share
    return tuple(planned)


def approve(services: Services, request_id: int, *, user: str) -> Transition:
    """The caller has checked that `user` may approve; the database checks who was first and that the
    requester does not approve their own refund."""
    return refunds.approve(services.db, request_id, approver=user, at=services.clock())


def reject(services: Services, request_id: int, *, user: str, reason: str) -> Transition:
    if not reason.strip():
        raise UserError("Say why the refund is rejected: the agent who asked will read it.")
    return refunds.reject(services.db, request_id, approver=user, reason=reason.strip(), at=services.clock())


# -- executing -------------------------------------------------------------------------------------


def execute(services: Services, request_id: int, *, actor: str) -> tuple[bool, RefundRequestView]:
    """Send the approved (or failed) request to the store; (False, the request as it is) when this call was
    not the one to run it (another click or instance is running it, or it is not approved)."""
    start = refunds.start_execution(services.db, request_id, actor=actor, at=services.clock())
    if not start.won or start.idempotency_key is None or start.attempt is None:
        return False, start.request
    try:
        done = services.store.create_refund(plan_of(start.request), idempotency_key=start.idempotency_key)
    except StoreError as exc:
        finished = refunds.finish(
            services.db, request_id, attempt=start.attempt, succeeded=False, failure=str(exc), at=services.clock()
        )
        return True, finished.request
    except Exception:
        # the outcome is unknown: record it as failed so that Retry (same key, never a second refund) is offered
        refunds.finish(
            services.db, request_id, attempt=start.attempt, succeeded=False, at=services.clock(),
            failure="Something went wrong on our side while refunding; the store may or may not have refunded. "
            "Retry is safe: it can never refund twice.",
        )  # fmt: skip
        raise
    finished = refunds.finish(
        services.db, request_id, attempt=start.attempt, succeeded=True, store_refund_id=done.id, at=services.clock()
    )
    return True, finished.request


def plan_of(request: RefundRequestView) -> RefundPlan:
    """The request as the store is to receive it: exactly what was approved."""
    return RefundPlan(
        order_id=request.order_id,
        lines=tuple(RefundLineChoice(li.line_item_id, li.quantity, RestockType(li.restock)) for li in request.lines),
        shipping=request.shipping,
        transactions=tuple(
            RefundTransaction(p.gateway, Money(p.amount, request.currency), p.parent_id) for p in request.transactions
        ),
        note=request.note,
        notify_customer=request.notify_customer,
    )


# -- internals -------------------------------------------------------------------------------------


def _restock(restock: bool, shipped: int) -> RestockType:
    if not restock:
        return RestockType.NO_RESTOCK
    return RestockType.RETURN if shipped > 0 else RestockType.CANCEL


def _from_latest_return(services: Services, order: Order, refundable: dict[str, int]) -> tuple[dict[str, int], str]:
    """The items of the order's latest return that are still refundable: what the agent most likely refunds."""
    cases = [c for c in cases_for_order(services.db, order.ref.id) if c.status != "cancelled"]
    if not cases:
        return {}, ""
    latest = cases[-1]
    prefill = {
        str(item["line_item_id"]): min(int(item["quantity"]), refundable.get(str(item["line_item_id"]), 0))
        for item in latest.items
    }
    prefill = {line_id: quantity for line_id, quantity in prefill.items() if quantity > 0}
    return prefill, latest.rma if prefill else ""
