"""Refunds: what an order can still give back, and the agent's request for it.

1. `options_for` reads what is left to refund (one store quote: the ceilings, and the price of the latest return's
   items the form starts with) and refuses orders with nothing to give back, in words; it also lists the order's
   open requests (one at a time, unless a team lead adds another: `blocking`).
2. The form is checked without I/O as the agent submits it (commands.refund_form).
3. `request_refund` reads the store's quote again (nothing decisive comes from the form's client),
   freezes the plan (lines, shipping, the payments the money goes back to) and records a RefundRequest: pending a
   team lead's decision, or approved at once while what was auto-approved on the order stays within
   REFUND_AUTO_APPROVE_LIMIT.
4. Deciding and refunding: commands.refund_decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from commands.errors import UserError
from commands.lookup import store_errors_as_user_errors
from commands.refund_form import (
    DEFAULT_REASON,
    RefundCommand,
    RefundForm,
    check_command,
    check_form,
    choice_of,
    limits_of,
    priced_choice,
    total_of,
)
from commands.refund_holds import Held, held_by, less_held, unheld
from commands.return_cases import cases_for_order
from commands.services import Services
from domain.money import Money
from domain.orders import FinancialStatus, Order
from domain.refunds import RefundChoice, RefundLineChoice, RefundQuote, RefundStatus, RefundTransaction, RestockType
from domain.vocabulary import ReturnStatus
from storage import refunds
from storage.refunds import AUTO as AUTO
from storage.refunds import Creation as Creation
from storage.refunds import PlannedPayment, RefundDraft, RefundLine
from storage.refunds import RefundRequestView as RefundRequestView

__all__ = [
    "AUTO",
    "Creation",
    "RefundOptions",
    "RefundPolicy",
    "RefundRequestView",
    "RefundStatus",
    "Requested",
    "allocate",
    "blocking",
    "can_refund",
    "get_request",
    "open_requests",
    "options_for",
    "redraw",
    "request_refund",
]

_REFUNDABLE = (FinancialStatus.PAID, FinancialStatus.PARTIALLY_PAID, FinancialStatus.PARTIALLY_REFUNDED)


@dataclass(frozen=True)
class RefundPolicy:
    auto_approve_limit: Decimal = Decimal(0)  # refunds up to this amount need no team lead (0: every refund does)

    @property
    def auto_approves(self) -> bool:
        """Some refunds go without a team lead: those that, with what was auto-approved on their order before and
        what waits for a team lead there, stay within the limit (counted by the database as it records them)."""
        return self.auto_approve_limit > 0


@dataclass(frozen=True)
class RefundOptions:
    """What the refund form shows: the order, what is left of it, and the form as it stands."""

    order: Order
    quote: RefundQuote  # what is left: every line's refundable quantity, shipping and money
    form: RefundForm
    total: Money | None  # the store's total for the form's choice, or its own amount (None: nothing chosen)
    can_notify: bool  # the store sends customers refund notifications (Shopify does; the local store has no mail)
    open_requests: tuple[RefundRequestView, ...] = ()  # the order's requests on their way to a refund
    from_return: str = ""  # the RMA of the return whose items the form starts with


@dataclass(frozen=True)
class Requested:
    request: RefundRequestView  # the new request; the one this form made before; or the open one blocking it
    outcome: Creation
    customer: str = ""  # the order's customer, as the store says now (for the team lead's message)

    @property
    def created(self) -> bool:
        return self.outcome is Creation.CREATED

    @property
    def blocked(self) -> bool:
        return self.outcome is Creation.BLOCKED


# -- the form --------------------------------------------------------------------------------------


def options_for(services: Services, order: Order, command: RefundCommand | None = None) -> RefundOptions:
    """The form as it opens: the latest return's items (priced), restock as the order's state suggests, `/refund`'s
    amount. A UserError says why this order has nothing to refund (or why the amount does not fit it)."""
    if command is not None:
        check_command(command, order.name, order.currency)
    _check_refundable(order)
    returned, rma = _latest_return(services, order)
    pending = open_requests(services, order)
    held = held_by(pending)
    returned = unheld(returned, held)  # a return's items already asked for are not offered twice
    # one quote: the store prices the return's items (capped at what is left of them) and gives every ceiling
    with store_errors_as_user_errors():
        quote = less_held(services.store.refund_quote(order.ref.id, RefundChoice(tuple(returned))), held)
    _check_left(order, quote, held)
    left = {line.line_item_id: line.refundable_quantity for line in quote.lines}
    prefill = {c.line_item_id: min(c.quantity, left.get(c.line_item_id, 0)) for c in returned}
    prefill = {line_id: quantity for line_id, quantity in prefill.items() if quantity > 0}
    unshipped = any(line.fulfilled_quantity < line.quantity for line in quote.lines if line.refundable_quantity)
    notifies = services.store.notifies_customers
    amount = command.amount if command is not None else None
    form = RefundForm(
        quantities=prefill, shipping=Decimal(0), restock=bool(prefill) or unshipped, amount=amount,
        # no reason is chosen for the agent unless the items come from a return: a guess would mislead the lead
        reason=DEFAULT_REASON if prefill else "", notify_customer=notifies and bool(order.email),
    )  # fmt: skip
    priced_as_shown = prefill == {c.line_item_id: c.quantity for c in returned}
    total = Money(amount, quote.currency) if amount is not None else quote.amount if prefill else None
    if amount is None and prefill and not priced_as_shown:  # fewer units are left than the return has
        total = redraw(services, order, form).total
    return RefundOptions(
        order, quote, form, total, can_notify=notifies, from_return=rma if prefill else "", open_requests=pending,
    )  # fmt: skip


def redraw(services: Services, order: Order, form: RefundForm) -> RefundOptions:
    """The form as the agent left it, read again from the store, with the store's total for what is chosen now."""
    _check_refundable(order)
    pending = open_requests(services, order)
    held = held_by(pending)
    with store_errors_as_user_errors():
        quote = services.store.refund_quote(order.ref.id, priced_choice(form) if form.chosen else RefundChoice())
    quote = less_held(quote, held)
    _check_left(order, quote, held)
    total = Money(form.amount, quote.currency) if form.amount is not None else quote.amount if form.chosen else None
    return RefundOptions(
        order, quote, form, total, can_notify=services.store.notifies_customers, open_requests=pending,
    )  # fmt: skip


def open_requests(services: Services, order: Order) -> tuple[RefundRequestView, ...]:
    """The order's refund requests on their way (waiting for a team lead, approved, being refunded), oldest first:
    their money is not in the store's refunded total yet."""
    return tuple(refunds.open_for_order(services.db, services.store.kind, order.ref.id))


def blocking(opened: RefundOptions, is_lead: Callable[[], bool]) -> RefundRequestView | None:
    """The open request that keeps this person from asking for another refund of the order: one at a time,
    unless a team lead adds one (asked only when a request is open)."""
    if not opened.open_requests or is_lead():
        return None
    return opened.open_requests[0]


def can_refund(order: Order) -> bool:
    """Worth offering a Refund button: money was captured and the order is not cancelled (the form checks more)."""
    return not order.cancelled and order.financial_status in _REFUNDABLE


def get_request(services: Services, request_id: int) -> RefundRequestView:
    return refunds.get(services.db, request_id)


# -- requesting ------------------------------------------------------------------------------------


def request_refund(
    services: Services,
    policy: RefundPolicy,
    order: Order,
    form: RefundForm,
    *,
    requester: str,
    submission_key: str,
    is_lead: Callable[[], bool] = lambda: False,
    channel: str = "",
    thread_ts: str = "",
) -> Requested:
    """Price the choice as the store sees it now, freeze the plan and record the request (once per submission; not
    beside an open request of the order unless `is_lead()`).

    `order` is read from the store by the caller: only its id comes from the form's client. What each line is, what
    was shipped (which decides each line's restock type) and every ceiling are read here. One read of the store
    serves the price and the check: a quote carries what is still refundable too."""
    _check_refundable(order)
    pending = open_requests(services, order)
    beside = bool(pending) and is_lead()  # a team lead may add a request beside open ones; others are refused
    held = held_by(pending) if beside else Held()
    with store_errors_as_user_errors():
        priced = less_held(services.store.refund_quote(order.ref.id, priced_choice(form)), held)
    _check_left(order, priced, held)
    errors = check_form(form, limits_of(priced))
    if errors:
        raise UserError(" ".join(errors.values()))
    total = total_of(form, priced)
    if total.amount <= 0:
        raise UserError(f"Nothing to refund: the chosen items of {order.name} add up to {total}.")
    if total > priced.maximum:
        raise UserError(f"Only {priced.maximum} can still be refunded on {order.name}.")
    choice = choice_of(form, {li.line_item_id: li.fulfilled_quantity for li in priced.lines})
    names = {li.line_item_id: li.name for li in priced.lines}
    restock = RestockType.RETURN if form.restock and choice.lines else RestockType.NO_RESTOCK
    draft = RefundDraft(
        store=services.store.kind, order_id=order.ref.id, order_name=order.name,
        lines=tuple(RefundLine(c.line_item_id, names.get(c.line_item_id, ""), c.quantity, c.restock)
                    for c in choice.lines),
        shipping=form.shipping, restock=restock, amount=total.amount,
        currency=total.currency, reason=form.reason, note=form.note.strip(), notify_customer=form.notify_customer,
        transactions=tuple(PlannedPayment(t.gateway, t.amount.amount, t.parent_id)
                           for t in allocate(priced.transactions, total)),
    )  # fmt: skip
    alone = not beside
    created = refunds.create_once(
        services.db, draft, requested_by=requester, at=services.clock(),
        auto_approve_up_to=policy.auto_approve_limit if policy.auto_approves else None, alone=alone,
        slack_channel=channel, slack_thread_ts=thread_ts, submission_key=submission_key,
    )  # fmt: skip
    return Requested(created.request, created.outcome, order.customer_name or order.email)


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


# -- internals -------------------------------------------------------------------------------------


def _check_refundable(order: Order) -> None:
    """What the order alone says: a UserError when it cannot have anything to refund."""
    if order.cancelled:
        raise UserError(f"Order {order.name} was cancelled: there is nothing left to refund here.")
    if not order.financial_status.captured:
        raise UserError(f"Order {order.name}: the payment is not captured yet, so there is nothing to refund yet.")
    if order.financial_status == FinancialStatus.REFUNDED:
        raise UserError(f"Order {order.name} is already fully refunded.")


def _check_left(order: Order, quote: RefundQuote, held: Held | None = None) -> None:
    if quote.maximum.amount <= 0:
        if held is not None and not held.nothing:
            asked = Money(held.amount, quote.currency)
            raise UserError(
                f"Order {order.name} has nothing left to refund beyond its open refund requests ({asked} asked "
                "for): a team lead decides those first."
            )
        raise UserError(f"Order {order.name} has nothing left to refund.")


def _latest_return(services: Services, order: Order) -> tuple[list[RefundLineChoice], str]:
    """The items of the order's latest return, and its RMA: what the agent most likely refunds."""
    cases = [c for c in cases_for_order(services.db, order.ref.id) if c.status is not ReturnStatus.CANCELLED]
    if not cases:
        return [], ""
    latest = cases[-1]
    items = [RefundLineChoice(str(item["line_item_id"]), int(item["quantity"])) for item in latest.items]
    return [item for item in items if item.quantity > 0], latest.rma
