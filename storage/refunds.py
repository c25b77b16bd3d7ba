"""Refund requests and their state machine: who asked, who decided, and what was sent to the store.

    pending_approval -> approved -> executing -> succeeded | failed
    pending_approval -> rejected
    failed -> executing                       (a retry: same idempotency key, one more attempt)
    create(..., auto_approved=True)           (starts at approved, decided_by "auto")

Every transition is ONE conditional UPDATE (`... WHERE id = :id AND status = :expected ...`) in a write
unit of work, together with its audit event. Whoever's UPDATE changes the row has won; everybody else (a
double click, a Slack retry, a second instance) gets `won=False` and the row as it is now, so the caller
can say "already approved by <@U…>". Slack delivers each click as its own signed payload and dedupes
nothing, so the row itself is the only safe arbiter.

Separation of duties lives in the same SQL (`AND requested_by <> :actor`), not only in the UI: a
requester who tries to decide their own request gets `Outcome.SELF_APPROVAL`. Whether the actor may
approve at all (the approvers' user group, amount limits) is the caller's check, made at click time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import audit
from storage.db import Database
from storage.models import RefundRequestRow

PENDING_APPROVAL = "pending_approval"
APPROVED = "approved"
REJECTED = "rejected"
EXECUTING = "executing"
SUCCEEDED = "succeeded"
FAILED = "failed"
STATUSES = (PENDING_APPROVAL, APPROVED, REJECTED, EXECUTING, SUCCEEDED, FAILED)
FINAL = (REJECTED, SUCCEEDED)  # nothing leaves these; `failed` can still be retried

RESTOCK_TYPES = ("RETURN", "CANCEL", "NO_RESTOCK")  # Shopify's RefundLineItemRestockType
STORES = ("local", "shopify")

AUTO = "auto"  # decided_by of an auto-approved request; never a person, so nobody may act as "auto"
SYSTEM = "system"

MAX_FAILURE = 2000
INTERRUPTED = (
    "The bot stopped while this refund was being made, so it may or may not have happened. "
    "Retry is safe: it sends the same refund with the same key, which never refunds twice."
)
# Amount is NUMERIC(18, 4) on PostgreSQL: anything finer or larger would be silently changed there
MAX_DECIMALS = 4
MAX_AMOUNT = Decimal("1e14")
CENT = Decimal("0.01")

R = RefundRequestRow


class RefundRequestNotFound(LookupError):
    pass


class Outcome(StrEnum):
    APPLIED = "applied"  # this call made the change
    WRONG_STATE = "wrong_state"  # the request had already moved on (double click, lost race, stale attempt)
    SELF_APPROVAL = "self_approval"  # the requester tried to approve or reject their own request


@dataclass(frozen=True)
class RefundLine:
    line_item_id: str
    name: str
    quantity: int
    restock: str = "NO_RESTOCK"  # this line's restock type: RETURN for shipped units, CANCEL for the others


@dataclass(frozen=True)
class PlannedPayment:
    """One payment the money goes back to, as planned when the request was made."""

    gateway: str
    amount: Decimal
    parent_id: str = ""  # the store's id of the sale or capture being refunded


@dataclass(frozen=True)
class RefundDraft:
    """What the requester asked for. Frozen at creation: the approver approves exactly this."""

    store: str
    order_id: str
    order_name: str
    lines: tuple[RefundLine, ...]
    shipping: Decimal
    restock: str
    amount: Decimal
    currency: str
    reason: str
    note: str = ""
    notify_customer: bool = True
    # how the amount goes back; frozen so that every attempt sends the store the same parameters
    transactions: tuple[PlannedPayment, ...] = ()

    def __post_init__(self) -> None:
        if self.store not in STORES:
            raise ValueError(f"store must be one of {STORES}, got {self.store!r}")
        if not self.order_id or not self.order_name:
            raise ValueError("a refund needs the order's id and name")
        if self.restock not in RESTOCK_TYPES:
            raise ValueError(f"restock must be one of {RESTOCK_TYPES}, got {self.restock!r}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO 4217 code like 'EUR', got {self.currency!r}")
        if not self.reason.strip():
            raise ValueError("a refund needs a reason")
        _check_money("amount", self.amount, positive=True)
        _check_money("shipping", self.shipping, positive=False)
        if self.shipping > self.amount:
            raise ValueError("shipping is part of the amount, so it cannot exceed it")
        for line in self.lines:
            if not line.line_item_id or type(line.quantity) is not int or line.quantity < 1:
                raise ValueError(f"a refund line needs a line item and a positive quantity: {line!r}")
        if not self.lines and self.shipping == 0:
            raise ValueError("a refund needs lines or shipping")
        for line in self.lines:
            if line.restock not in RESTOCK_TYPES:
                raise ValueError(f"restock must be one of {RESTOCK_TYPES}, got {line.restock!r}")
        for payment in self.transactions:
            _check_money("a payment's amount", payment.amount, positive=True)
        if self.transactions and sum(p.amount for p in self.transactions) != self.amount:
            raise ValueError("the planned payments must add up to the amount")


@dataclass(frozen=True)
class RefundRequestView:
    id: int
    store: str
    order_id: str
    order_name: str
    lines: tuple[RefundLine, ...]
    shipping: Decimal
    restock: str
    amount: Decimal
    currency: str
    reason: str
    note: str
    notify_customer: bool
    transactions: tuple[PlannedPayment, ...]
    requested_by: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reject_reason: str
    idempotency_key: str
    store_refund_id: str
    failure: str
    attempts: int
    slack_channel: str
    slack_thread_ts: str
    slack_approval_channel: str
    slack_approval_ts: str
    created_at: datetime
    updated_at: datetime

    @property
    def auto_approved(self) -> bool:
        return self.decided_by == AUTO


@dataclass(frozen=True)
class Transition:
    """The result of one transition. `request` is the row after this call, whoever won."""

    won: bool
    request: RefundRequestView
    outcome: Outcome

    def __post_init__(self) -> None:
        if self.won != (self.outcome is Outcome.APPLIED):
            raise ValueError(f"won={self.won} contradicts outcome {self.outcome}")


@dataclass(frozen=True)
class ExecutionStart(Transition):
    """A won start hands out the key to send to the store and the attempt number `finish` must quote."""

    idempotency_key: str | None = None  # None when lost: do not call the store
    attempt: int | None = None


# -- creating ----------------------------------------------------------------------------------------


def create(
    db: Database,
    draft: RefundDraft,
    *,
    requested_by: str,
    at: datetime,
    auto_approved: bool = False,
    slack_channel: str = "",
    slack_thread_ts: str = "",
) -> RefundRequestView:
    """Record a request (pending, or approved by "auto" when the caller's policy allows it)."""
    return create_once(
        db, draft, requested_by=requested_by, at=at, auto_approved=auto_approved, slack_channel=slack_channel,
        slack_thread_ts=slack_thread_ts,
    )[0]  # fmt: skip


def create_once(
    db: Database,
    draft: RefundDraft,
    *,
    requested_by: str,
    at: datetime,
    auto_approved: bool = False,
    slack_channel: str = "",
    slack_thread_ts: str = "",
    submission_key: str | None = None,
) -> tuple[RefundRequestView, bool]:
    """`create`, once per `submission_key` (a form submitted twice, or retried by Slack): the second call gets
    the first request and False. The unique key in the database decides, also between two instances."""
    _check_person(requested_by)
    if submission_key is not None:
        earlier = _by_submission(db, submission_key)
        if earlier is not None:
            return earlier, False
    row = R(
        store=draft.store, order_id=draft.order_id, order_name=draft.order_name, submission_key=submission_key,
        lines=[{"line_item_id": li.line_item_id, "name": li.name, "quantity": li.quantity, "restock": li.restock}
               for li in draft.lines],
        transactions=[{"gateway": p.gateway, "amount": _money(p.amount), "parent_id": p.parent_id}
                      for p in draft.transactions],
        shipping=draft.shipping, restock=draft.restock, amount=draft.amount, currency=draft.currency,
        reason=draft.reason, note=draft.note, notify_customer=draft.notify_customer, requested_by=requested_by,
        status=APPROVED if auto_approved else PENDING_APPROVAL,
        decided_by=AUTO if auto_approved else None, decided_at=at if auto_approved else None, reject_reason="",
        # made once, here, and sent on every attempt: the store then refunds at most once per request
        idempotency_key=str(uuid.uuid4()),
        store_refund_id="", failure="", attempts=0, slack_channel=slack_channel, slack_thread_ts=slack_thread_ts,
        slack_approval_channel="", slack_approval_ts="", created_at=at, updated_at=at,
    )  # fmt: skip
    try:
        with db.session(write=True) as s:
            s.add(row)
            s.flush()  # the id names the audit subject
            _audit(s, row, at=at, actor=requested_by, action="refund.requested", auto_approved=auto_approved)
            if auto_approved:
                _audit(s, row, at=at, actor=AUTO, action="refund.approved")
            return _view(row), True
    except IntegrityError:
        # the same submission committed by another instance between our look and our insert
        earlier = _by_submission(db, submission_key) if submission_key is not None else None
        if earlier is None:
            raise
        return earlier, False


def _by_submission(db: Database, submission_key: str) -> RefundRequestView | None:
    with db.session() as s:
        row = s.scalars(select(R).where(R.submission_key == submission_key)).first()
        return _view(row) if row is not None else None


# -- deciding ----------------------------------------------------------------------------------------


def approve(db: Database, request_id: int, *, approver: str, at: datetime) -> Transition:
    """pending_approval -> approved, unless `approver` is the requester."""
    _check_person(approver)
    with db.session(write=True) as s:
        won = _update(
            s, request_id, (PENDING_APPROVAL,), R.requested_by != approver,
            status=APPROVED, decided_by=approver, decided_at=at, updated_at=at,
        )  # fmt: skip
        return _decided(s, request_id, won, actor=approver, at=at, action="refund.approved", attempted="approve")


def reject(db: Database, request_id: int, *, approver: str, reason: str, at: datetime) -> Transition:
    """pending_approval -> rejected, with the reason the requester will read; not by the requester."""
    _check_person(approver)
    if not reason.strip():
        raise ValueError("a rejection needs a reason")
    with db.session(write=True) as s:
        won = _update(
            s, request_id, (PENDING_APPROVAL,), R.requested_by != approver,
            status=REJECTED, decided_by=approver, decided_at=at, reject_reason=reason, updated_at=at,
        )  # fmt: skip
        return _decided(
            s, request_id, won, actor=approver, at=at, action="refund.rejected", attempted="reject", reason=reason
        )


def _decided(
    s: Session, request_id: int, won: bool, *, actor: str, at: datetime, action: str, attempted: str, **details: Any
) -> Transition:
    row = _load(s, request_id)
    if won:
        _audit(s, row, at=at, actor=actor, action=action, **details)
        return Transition(True, _view(row), Outcome.APPLIED)
    if row.status == PENDING_APPROVAL and row.requested_by == actor:
        # an authorization decision: logged, in the same transaction as the refusal
        _audit(s, row, at=at, actor=actor, action="refund.decision_denied", attempted=attempted, why="own request")
        return Transition(False, _view(row), Outcome.SELF_APPROVAL)
    return Transition(False, _view(row), Outcome.WRONG_STATE)


# -- executing ---------------------------------------------------------------------------------------


def start_execution(db: Database, request_id: int, *, actor: str, at: datetime) -> ExecutionStart:
    """approved | failed -> executing; one more attempt, under the request's one idempotency key.

    Only one execution is ever in flight: a second caller finds `executing` and loses. The decider check
    is repeated here so that no row reaches the store without a decision by someone else (or "auto").
    """
    with db.session(write=True) as s:
        won = _update(
            s, request_id, (APPROVED, FAILED), or_(R.decided_by == AUTO, R.decided_by != R.requested_by),
            status=EXECUTING, attempts=R.attempts + 1, failure="", updated_at=at,
        )  # fmt: skip
        row = _load(s, request_id)
        if not won:
            # judged on the row as read now: on PostgreSQL it may have moved on since the UPDATE looked
            self_decided = row.status in (APPROVED, FAILED) and not _properly_decided(row)
            outcome = Outcome.SELF_APPROVAL if self_decided else Outcome.WRONG_STATE
            return ExecutionStart(False, _view(row), outcome)
        # attempts only grows here, so the first attempt always came from `approved`, later ones from `failed`
        action = "refund.executing" if row.attempts == 1 else "refund.retried"
        _audit(s, row, at=at, actor=actor, action=action, attempt=row.attempts)
        return ExecutionStart(True, _view(row), Outcome.APPLIED, row.idempotency_key, row.attempts)


def finish(
    db: Database,
    request_id: int,
    *,
    attempt: int,
    succeeded: bool,
    store_refund_id: str = "",
    failure: str = "",
    actor: str = SYSTEM,
    at: datetime,
) -> Transition:
    """executing -> succeeded | failed, for the attempt `start_execution` handed out.

    `attempt` fences off late reports: a duplicate "failed" of attempt 1 arriving while attempt 2 runs
    would otherwise mark attempt 2 failed and let a third start beside it.
    """
    if succeeded and (not store_refund_id or failure):
        raise ValueError("a succeeded refund has the store's refund id and no failure")
    if not succeeded and (store_refund_id or not failure.strip()):
        raise ValueError("a failed refund has a failure and no store refund id")
    result = {"store_refund_id": store_refund_id} if succeeded else {"failure": failure[:MAX_FAILURE]}
    status = SUCCEEDED if succeeded else FAILED
    with db.session(write=True) as s:
        won = _update(s, request_id, (EXECUTING,), R.attempts == attempt, status=status, updated_at=at, **result)
        row = _load(s, request_id)
        if not won:
            return Transition(False, _view(row), Outcome.WRONG_STATE)
        _audit(s, row, at=at, actor=actor, action=f"refund.{status}", attempt=attempt, **result)
        return Transition(True, _view(row), Outcome.APPLIED)


def fail_interrupted(db: Database, *, started_before: datetime, at: datetime) -> list[RefundRequestView]:
    """executing -> failed for attempts started before `started_before`: the instance running them stopped.

    Whether the store refunded is unknown, so the request becomes `failed` with Retry offered; the retry sends
    the same key, and the store answers with the first refund if there was one. A late report of the
    interrupted attempt is then fenced off by its attempt number.
    """
    with db.session() as s:
        stale = s.execute(
            select(R.id, R.attempts).where(R.status == EXECUTING, R.updated_at < started_before).order_by(R.id)
        ).all()
    released = []
    for request_id, attempt in stale:
        with db.session(write=True) as s:
            if _update(s, request_id, (EXECUTING,), R.attempts == attempt, status=FAILED, failure=INTERRUPTED,
                       updated_at=at):  # fmt: skip
                row = _load(s, request_id)
                _audit(s, row, at=at, actor=SYSTEM, action="refund.interrupted", attempt=attempt)
                released.append(_view(row))
    return released


# -- Slack bookkeeping -------------------------------------------------------------------------------


def set_approval_message(db: Database, request_id: int, *, channel: str, ts: str, at: datetime) -> bool:
    """Remember the message with the buttons, once: a repeat post must become a `chat.update` of this one."""
    with db.session(write=True) as s:
        stmt = (
            update(R)
            .where(R.id == request_id, R.slack_approval_ts == "")
            .values(slack_approval_channel=channel, slack_approval_ts=ts, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        return s.execute(stmt).rowcount == 1


# -- reading -----------------------------------------------------------------------------------------


def get(db: Database, request_id: int) -> RefundRequestView:
    with db.session() as s:
        return _view(_load(s, request_id))


def for_order(db: Database, order_id: str) -> list[RefundRequestView]:
    with db.session() as s:
        return [_view(r) for r in s.scalars(select(R).where(R.order_id == order_id).order_by(R.id))]


def with_status(db: Database, status: str, *, limit: int = 200) -> list[RefundRequestView]:
    """Oldest first: the approvals queue, or executions a reconciler should look at."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    stmt = select(R).where(R.status == status).order_by(R.created_at, R.id).limit(limit)
    with db.session() as s:
        return [_view(r) for r in s.scalars(stmt)]


def subject(request_id: int) -> str:
    """The audit subject of a request."""
    return f"refund_request:{request_id}"


# -- internals ---------------------------------------------------------------------------------------


def _update(s: Session, request_id: int, expected: Sequence[str], *guards: ColumnElement[bool], **values: Any) -> bool:
    """The one conditional UPDATE of a transition; True when this call changed the row."""
    stmt = (
        update(R)
        .where(R.id == request_id, R.status.in_(expected), *guards)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    # (a NULL in a guard is never true: an undecided row cannot pass `decided_by <> requested_by`)
    return s.execute(stmt).rowcount == 1


def _load(s: Session, request_id: int) -> RefundRequestRow:
    # populate_existing: after an UPDATE the row must be read from the database, not the identity map
    row = s.get(R, request_id, populate_existing=True)
    if row is None:
        raise RefundRequestNotFound(request_id)
    return row


def _audit(s: Session, row: RefundRequestRow, *, at: datetime, actor: str, action: str, **details: Any) -> None:
    audit.record(
        s, at=at, actor=actor, action=action, subject=subject(row.id),
        order=row.order_name, amount=_money(row.amount), currency=row.currency, **details,
    )  # fmt: skip


def _canonical(value: Decimal) -> Decimal:
    """One form on both databases: PostgreSQL returns NUMERIC normalized (43.8, 1E+1), SQLite as written (43.80).
    At least cents, and no trailing zeros beyond them."""
    cents = value.quantize(CENT)
    return cents if cents == value else value.normalize()


def _money(value: Decimal) -> str:
    return format(_canonical(value), "f")  # fixed-point: never "1E+1" in the audit trail


def _view(row: RefundRequestRow) -> RefundRequestView:
    return RefundRequestView(
        id=row.id, store=row.store, order_id=row.order_id, order_name=row.order_name,
        lines=tuple(
            RefundLine(str(li["line_item_id"]), li["name"], int(li["quantity"]), li.get("restock", "NO_RESTOCK"))
            for li in row.lines
        ),
        transactions=tuple(
            PlannedPayment(p["gateway"], Decimal(p["amount"]), p.get("parent_id", "")) for p in row.transactions or ()
        ),
        shipping=_canonical(row.shipping), restock=row.restock, amount=_canonical(row.amount), currency=row.currency,
        reason=row.reason, note=row.note, notify_customer=row.notify_customer, requested_by=row.requested_by,
        status=row.status, decided_by=row.decided_by, decided_at=row.decided_at, reject_reason=row.reject_reason,
        idempotency_key=row.idempotency_key, store_refund_id=row.store_refund_id, failure=row.failure,
        attempts=row.attempts, slack_channel=row.slack_channel, slack_thread_ts=row.slack_thread_ts,
        slack_approval_channel=row.slack_approval_channel, slack_approval_ts=row.slack_approval_ts,
        created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip


def _properly_decided(row: RefundRequestRow) -> bool:
    """The start_execution guard, in Python: decided, and not by the requester (unless automatically)."""
    return row.decided_by is not None and (row.decided_by == AUTO or row.decided_by != row.requested_by)


def _check_person(user: str) -> None:
    if not user or user in (AUTO, SYSTEM):
        raise ValueError(f"{user!r} is not a person who can request or decide a refund")


def _check_money(what: str, value: Decimal, *, positive: bool) -> None:
    if not isinstance(value, Decimal):  # a float has already lost the cents
        raise TypeError(f"{what} is a Decimal, got {type(value).__name__}")
    if not value.is_finite() or value < 0 or (positive and value == 0) or value >= MAX_AMOUNT:
        raise ValueError(f"{what} out of range: {value}")
    if value != value.quantize(Decimal(1).scaleb(-MAX_DECIMALS)):
        raise ValueError(f"{what} has more than {MAX_DECIMALS} decimals: {value}")
