"""Cancelling an order: whether it can be, the form's choices and checks, and the request (no Slack here).

1. `can_cancel` (the order alone: worth a Cancel order button) and `options_for` (the guards in words, read from the
   store and the bot's records, and what the cancellation would refund) before the form opens.
2. The form is checked without I/O as the agent submits it (`check_form`: the staff note within Shopify's 255
   characters, store credit only where the store has it).
3. `request_cancellation` reads the order again and repeats every guard (the order may have changed since the form
   opened), then records the cancellation once per submission and per order: approved at once, or waiting for a
   team lead when it refunds more than the refund limit (REFUND_AUTO_APPROVE_LIMIT).
4. Running it, once: commands.cancellation_run.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from commands.errors import UserError
from commands.lookup import store_errors_as_user_errors
from commands.return_cases import cases_for_order
from commands.services import Services
from domain.cancellations import STAFF_NOTE_MAX, CancelPlan, CancelReason, CancelRefund
from domain.money import Money
from domain.orders import FinancialStatus, FulfillmentStatus, Order
from domain.refunds import RefundStatus, RequestKind, RestockType
from domain.vocabulary import ReturnStatus
from storage import cancellations as stored
from storage import refunds as refund_requests
from storage.cancellations import CancellationView, CancelStatus, Creation
from storage.refund_records import RefundDraft, RefundLine, RefundRequestView

__all__ = [
    "CancelForm", "CancelOptions", "CancelStatus", "CancellationView", "Creation", "Requested", "UseReturnInstead",
    "can_cancel", "check_form", "get", "options_for", "request_cancellation",
]  # fmt: skip

_PENDING = (FinancialStatus.PENDING, FinancialStatus.PARTIALLY_PAID)
# a return whose parcel has moved, or come back: the order's items are on their way to the shop, not in it
_RETURN_UNDER_WAY = (ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED)


class UseReturnInstead(UserError):
    """The order has shipped items: a return is the way, not a cancellation (the bot offers Create return)."""

    def __init__(self, message: str, order: Order) -> None:
        super().__init__(message)
        self.order = order


@dataclass(frozen=True)
class CancelForm:
    reason: CancelReason = CancelReason.CUSTOMER
    refund: CancelRefund = CancelRefund.ORIGINAL
    restock: bool = True
    notify_customer: bool = True
    staff_note: str = ""


@dataclass(frozen=True)
class CancelOptions:
    """What the cancel form shows: the order, what goes back, and the choices it starts with."""

    order: Order
    refundable: Money  # captured and not refunded yet: what the cancellation refunds (unless "no refund")
    refunded_before: Money  # refunds made on the order already
    store_credit: bool  # the store can refund as store credit
    form: CancelForm

    @property
    def refund_note(self) -> str:
        """The refunds already made, and what the cancellation refunds of what is left ("" when none were made)."""
        if self.refunded_before.is_zero():
            return ""
        return (f"{self.refunded_before} has been refunded on {self.order.name} already: the cancellation refunds "
                f"what is left, {self.refundable}.")  # fmt: skip


@dataclass(frozen=True)
class Requested:
    """The cancellation recorded (or the one this submission, or the order, has already) and its approval request:
    approved at once within the refund limit, else waiting for a team lead (commands.refund_decisions decides)."""

    cancellation: CancellationView
    outcome: Creation
    request: RefundRequestView | None = None

    @property
    def created(self) -> bool:
        return self.outcome is Creation.CREATED


# -- before the form -------------------------------------------------------------------------------


def can_cancel(order: Order) -> bool:
    """Worth a Cancel order button: not cancelled, nothing shipped, no payment pending (the form checks the rest)."""
    return _order_refusal(order) is None


def options_for(services: Services, order: Order, reason: CancelReason = CancelReason.CUSTOMER) -> CancelOptions:
    """The form as it opens, or a UserError saying in words why the order cannot be cancelled."""
    check_cancellable(services, order)
    refundable = _refundable(order)
    form = CancelForm(
        reason=reason, refund=CancelRefund.ORIGINAL if refundable.amount > 0 else CancelRefund.NONE,
        notify_customer=bool(order.email),
    )  # fmt: skip
    return CancelOptions(order, refundable, order.refunded, services.store.refunds_to_store_credit, form)


def check_cancellable(services: Services, order: Order) -> None:
    """Every guard, in words: the order's own state, its returns, and what is under way on it already."""
    check_order_and_returns(services, order)
    open_requests = refund_requests.open_for_order(services.db, services.store.kind, order.ref.id)
    waiting = [r for r in open_requests if r.kind is RequestKind.REFUND]  # a cancellation's own approval is not one
    if waiting:
        amount = Money(waiting[0].amount, waiting[0].currency)
        raise UserError(f"A refund of {amount} on {order.name} is on its way (waiting for a team lead or being "
                        "refunded): let it finish, then cancel the order.")  # fmt: skip
    existing = for_order(services, order)
    if existing is not None and existing.status.open:
        raise UserError(_under_way(existing))


def check_order_and_returns(services: Services, order: Order) -> None:
    """The guards the cancellation itself repeats as it runs: the order's state and its returns under way."""
    refusal = _order_refusal(order)
    if refusal is not None:
        raise refusal
    check_returns(services, order.ref.id, order.name)


def check_returns(services: Services, order_id: str, order_name: str) -> None:
    """No return of the order is on its way back or back already (its items are not in the warehouse to keep)."""
    under_way = [c for c in cases_for_order(services.db, order_id) if c.status in _RETURN_UNDER_WAY]
    if under_way:
        listed = ", ".join(f"{c.rma} ({c.status.replace('_', ' ')})" for c in under_way)
        raise UserError(f"Order {order_name} has an open return: {listed}. Finish or close the return before "
                        "cancelling the order.")  # fmt: skip


def _order_refusal(order: Order) -> UserError | None:
    if order.cancelled:
        when = f" on {order.cancelled_at:%Y-%m-%d}" if order.cancelled_at else ""
        return UserError(f"Order {order.name} was cancelled{when} already: there is nothing left to cancel.")
    shipped = order.fulfillment_status in (FulfillmentStatus.FULFILLED, FulfillmentStatus.PARTIAL) or any(
        li.fulfillment_status is FulfillmentStatus.FULFILLED for li in order.line_items
    )
    if shipped or order.fulfillments:
        how = "partly shipped" if order.fulfillment_status is FulfillmentStatus.PARTIAL else "shipped"
        return UseReturnInstead(
            f"Order {order.name} is {how}: a shipped order cannot be cancelled. Use a return instead: the customer "
            "sends the items back and is refunded when they arrive.", order,
        )  # fmt: skip
    if order.financial_status in _PENDING:
        return UserError(
            f"The payment of order {order.name} is still pending, and an order cannot be cancelled while a payment is "
            "pending. Wait until it is paid or the payment fails (a card payment settles within a day or two, a bank "
            "transfer when the money arrives), then cancel it; or void the payment in the shop's admin first."
        )
    return None


def _under_way(existing: CancellationView) -> str:
    match existing.status:
        case CancelStatus.PENDING_APPROVAL:
            return f"The cancellation of {existing.order_name} is waiting for a team lead's approval already."
        case CancelStatus.DONE:
            return f"Order {existing.order_name} has been cancelled already."
        case _:
            return f"Order {existing.order_name} is being cancelled right now."


def _refundable(order: Order) -> Money:
    captured = order.total if order.financial_status.captured else Money.zero(order.currency)
    left = captured.amount - order.refunded.amount
    return Money(max(left, Decimal(0)), order.currency)


# -- the form ----------------------------------------------------------------------------------------


def check_form(form: CancelForm, *, store_credit: bool) -> dict[str, str]:
    """Problems with the submitted form by field ("note", "refund"); no I/O, so the ack can answer them."""
    errors: dict[str, str] = {}
    if len(form.staff_note) > STAFF_NOTE_MAX:
        errors["note"] = f"Keep the staff note within {STAFF_NOTE_MAX} characters (it has {len(form.staff_note)})."
    if form.refund is CancelRefund.STORE_CREDIT and not store_credit:
        errors["refund"] = "This store has no store credit: refund to the original payment method, or not at all."
    return errors


# -- requesting --------------------------------------------------------------------------------------


def request_cancellation(
    services: Services, order: Order, form: CancelForm, *, requester: str, submission_key: str,
    auto_approve_limit: Decimal, channel: str = "", thread_ts: str = "",
) -> Requested:  # fmt: skip
    """Check everything again against the order as the store has it now, and record the cancellation once: approved,
    or waiting for a team lead when it refunds more than `auto_approve_limit` (0: any refund needs one)."""
    errors = check_form(form, store_credit=services.store.refunds_to_store_credit)
    if errors:
        raise UserError(" ".join(errors.values()))
    with store_errors_as_user_errors():
        check_cancellable(services, order)
    refundable = _refundable(order) if form.refund is not CancelRefund.NONE else Money.zero(order.currency)
    plan = CancelPlan(order.ref.id, form.reason, form.refund, form.restock, form.notify_customer,
                      form.staff_note.strip())  # fmt: skip
    draft = stored.CancellationDraft(services.store.kind, order.ref.id, order.name, plan, refundable)
    created = stored.create_once(
        services.db, draft, requested_by=requester, at=services.clock(), submission_key=submission_key,
        slack_channel=channel, slack_thread_ts=thread_ts,
    )  # fmt: skip
    cancellation = created.cancellation
    if created.outcome is Creation.BLOCKED:
        return Requested(cancellation, created.outcome)
    # its approval, through the refund machinery: the same limit, team leads and one decision (once per submission)
    request = refund_requests.create_once(
        services.db, _approval_draft(order, cancellation), requested_by=requester, at=services.clock(),
        auto_approve_up_to=auto_approve_limit, alone=True, slack_channel=channel, slack_thread_ts=thread_ts,
        submission_key=submission_key,
    ).request  # fmt: skip
    return Requested(cancellation, created.outcome, request)


def _approval_draft(order: Order, cancellation: CancellationView) -> RefundDraft:
    """The approval request of a cancellation: its amount is what it refunds (0 when nothing: approved at once)."""
    return RefundDraft(
        store=cancellation.store, order_id=order.ref.id, order_name=order.name,
        lines=tuple(RefundLine(li.id, li.name, li.quantity) for li in order.line_items),
        shipping=Decimal(0), restock=RestockType.CANCEL if cancellation.restock else RestockType.NO_RESTOCK,
        amount=cancellation.amount.amount, currency=order.currency, reason=cancellation.reason.words,
        note=cancellation.staff_note, notify_customer=cancellation.notify_customer, kind=RequestKind.CANCELLATION,
        # the plan it approves: a cancellation asked for again (after a failure or a rejection) is a new plan
        details={"cancellation_id": cancellation.id, "plan_no": cancellation.plan_no,
                 "refund": cancellation.refund.value},
    )  # fmt: skip


def get(services: Services, cancellation_id: int) -> CancellationView:
    return stored.get(services.db, cancellation_id)


def for_order(services: Services, order: Order) -> CancellationView | None:
    """The order's cancellation, if it was ever asked for; one a team lead rejected is marked so on the way."""
    found = stored.for_order(services.db, services.store.kind, order.ref.id)
    if found is None or found.status is not CancelStatus.PENDING_APPROVAL:
        return found
    asked = refund_requests.of_kind_for_order(services.db, found.store, found.order_id, RequestKind.CANCELLATION)
    request = next((r for r in reversed(asked) if approves(r, found)), None)
    if request is not None and request.status is RefundStatus.REJECTED:
        stored.reject(services.db, found.id, actor=request.decided_by or stored.SYSTEM,
                      reason=request.reject_reason, at=services.clock())  # fmt: skip
        return stored.get(services.db, found.id)
    return found


def approves(request: RefundRequestView, cancellation: CancellationView) -> bool:
    """Whether `request` is the approval of the cancellation as it is planned now (not of an earlier plan)."""
    details = request.details
    return details.get("cancellation_id") == cancellation.id and details.get("plan_no") == cancellation.plan_no

