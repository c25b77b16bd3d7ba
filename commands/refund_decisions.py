"""Refund requests decided and carried out: who may approve, reject, retry or post a request again, and the refund.

Who is a team lead is Slack's to say (a user group, or a list): callers hand in `is_lead`, asked only when the
answer matters. The database decides who was first and refuses self-approval itself (storage.refunds).

`execute` sends the frozen plan to the store under the request's one idempotency key, on every attempt. A request
of another kind (a replacement, a cancellation) is decided by the same rules and handed to its executor
(commands.approved_work) under the same key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from commands.approved_work import executor_for
from commands.errors import UserError
from commands.services import Services
from commands.work_done import WorkDone
from domain.money import Money
from domain.refunds import RefundLineChoice, RefundPlan, RefundStatus, RefundTransaction, RequestKind
from domain.store import StoreError
from storage import refunds
from storage.refunds import Outcome, RefundRequestView, Transition

# far beyond any store call's time budget: an attempt this old is not running any more


class Refusal(StrEnum):
    """Why a person may not do what they clicked (the bot words it)."""

    NOT_A_LEAD = "not_a_lead"  # only team leads approve or reject
    OWN_REQUEST = "own_request"  # a requester never decides their own request, even as a team lead
    MOVED_ON = "moved_on"  # decided, refunded or being refunded already (a late or double click)
    NOT_THEIRS = "not_theirs"  # a failed refund is retried by its requester or a team lead
    POSTED = "posted"  # already before the team leads (or no longer waiting for them)


@dataclass(frozen=True)
class Decided:
    """A decision, or why there was none. `request` is the request as it is now, whoever won."""

    request: RefundRequestView
    refusal: Refusal | None = None

    @property
    def won(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True)
class Executed:
    """`ran`: this call sent the request to the store (`request` then shows the outcome); otherwise another click
    or instance runs it, it is not approved, or `refusal` says why this person may not."""

    ran: bool
    request: RefundRequestView
    refusal: Refusal | None = None


def _no_lead() -> bool:
    return False


# -- deciding --------------------------------------------------------------------------------------


def approve(services: Services, request_id: int, *, user: str, is_lead: Callable[[], bool]) -> Decided:
    """A team lead approves; the requester's own click reaches the database, which refuses it and audits that."""
    request = refunds.get(services.db, request_id)
    if user != request.requested_by and not is_lead():
        return Decided(request, Refusal.NOT_A_LEAD)
    return _decided(refunds.approve(services.db, request_id, approver=user, at=services.clock()))


def may_decide(services: Services, request_id: int, *, user: str, is_lead: Callable[[], bool]) -> Decided:
    """Whether `user` may decide the request now (before the reject form opens, and again when it is sent)."""
    request = refunds.get(services.db, request_id)
    if request.status is not RefundStatus.PENDING_APPROVAL:
        return Decided(request, Refusal.MOVED_ON)
    if user == request.requested_by:
        return Decided(request, Refusal.OWN_REQUEST)
    if not is_lead():
        return Decided(request, Refusal.NOT_A_LEAD)
    return Decided(request)


def reject(services: Services, request_id: int, *, user: str, reason: str, is_lead: Callable[[], bool]) -> Decided:
    if not reason.strip():
        raise UserError("Say why the refund is rejected: the agent who asked will read it.")
    allowed = may_decide(services, request_id, user=user, is_lead=is_lead)
    if not allowed.won:
        return allowed
    return _decided(refunds.reject(services.db, request_id, approver=user, reason=reason.strip(), at=services.clock()))


def may_repost(services: Services, request_id: int) -> Decided:
    """A request saved but never put before the team leads (the approvals channel failed) may be posted again."""
    request = refunds.get(services.db, request_id)
    if request.status is not RefundStatus.PENDING_APPROVAL or request.slack_approval_ts:
        return Decided(request, Refusal.POSTED)
    return Decided(request)


def remember_approval_message(services: Services, request_id: int, *, channel: str, ts: str) -> bool:
    """Where the message with the buttons is; False when the request has one already (posted twice)."""
    return refunds.set_approval_message(services.db, request_id, channel=channel, ts=ts, at=services.clock())


def _decided(transition: Transition) -> Decided:
    match transition.outcome:
        case Outcome.APPLIED:
            return Decided(transition.request)
        case Outcome.SELF_APPROVAL:
            return Decided(transition.request, Refusal.OWN_REQUEST)
        case _:
            return Decided(transition.request, Refusal.MOVED_ON)


# -- executing -------------------------------------------------------------------------------------


def execute(
    services: Services,
    request_id: int,
    *,
    actor: str,
    retry: bool = False,
    is_lead: Callable[[], bool] = _no_lead,
) -> Executed:
    """Send an approved request to the store, or (`retry`) a failed one again: that only by its requester or a
    team lead. Never both: a Retry click does not start an approved request, an approval does not retry."""
    if retry:
        request = refunds.get(services.db, request_id)
        if request.status is not RefundStatus.FAILED:
            return Executed(False, request)
        if actor != request.requested_by and not is_lead():
            return Executed(False, request, Refusal.NOT_THEIRS)
    at = services.clock()
    start = refunds.start_execution(
        services.db, request_id, actor=actor, at=at, from_status=RefundStatus.FAILED if retry else RefundStatus.APPROVED
    )
    if not start.won or start.idempotency_key is None or start.attempt is None:
        return Executed(False, start.request)
    try:
        done = _carry_out(services, start.request, start.idempotency_key)
    except StoreError as exc:
        finished = refunds.finish(
            services.db, request_id, attempt=start.attempt, succeeded=False, failure=str(exc), at=services.clock()
        )
        return Executed(True, finished.request)
    except UserError as exc:  # an executor's refusal in words (an item out of stock ...): nothing was done
        finished = refunds.finish(
            services.db, request_id, attempt=start.attempt, succeeded=False, failure=exc.message, at=services.clock()
        )
        return Executed(True, finished.request)
    except Exception:
        # the outcome is unknown: record it as failed so that Retry (same key, never a second refund) is offered
        refunds.finish(
            services.db, request_id, attempt=start.attempt, succeeded=False, at=services.clock(),
            failure=_UNKNOWN.get(start.request.kind, _UNKNOWN_WORK),
        )  # fmt: skip
        raise
    finished = refunds.finish(
        services.db, request_id, attempt=start.attempt, succeeded=True, store_refund_id=done.store_id,
        result=done.result, at=services.clock(),
    )  # fmt: skip
    return Executed(True, finished.request)


_UNKNOWN = {
    RequestKind.REFUND: "Something went wrong on our side while refunding; the store may or may not have refunded. "
    "Retry is safe: it can never refund twice.",
}
_UNKNOWN_WORK = (
    "Something went wrong on our side while carrying this out; it may or may not have been done. "
    "Retry is safe: it is never done twice."
)


def _carry_out(services: Services, request: RefundRequestView, key: str) -> WorkDone:
    """The request's work, once per key: a refund sent to the store, or another kind handed to its executor."""
    if request.kind is RequestKind.REFUND:
        return WorkDone(services.store.create_refund(plan_of(request), idempotency_key=key).id)
    return executor_for(request.kind)(services, request, key)


def plan_of(request: RefundRequestView) -> RefundPlan:
    """The request as the store is to receive it: exactly what was approved."""
    return RefundPlan(
        order_id=request.order_id,
        lines=tuple(RefundLineChoice(li.line_item_id, li.quantity, li.restock) for li in request.lines),
        shipping=request.shipping,
        transactions=tuple(
            RefundTransaction(p.gateway, Money(p.amount, request.currency), p.parent_id) for p in request.transactions
        ),
        note=request.note,
        notify_customer=request.notify_customer,
    )
