"""Order cancellations and their state machine: what was asked, who decided, and what the store did.

    pending_approval -> running -> done | failed          (started once its approval request is approved)
    failed -> running                                     (Retry: the same plan, the same operation key)
    pending_approval -> rejected                          (its approval request was rejected)
    failed | rejected -> pending_approval                 (asked again: planned anew in place, plan_no + 1)

Who may approve, the limit and the decision are the approval requests' (storage.refunds, kind cancellation): this
record is the cancellation itself, what it did, and the job the store runs it as.

One row per order (an order is cancelled once): asking to cancel an order whose cancellation is open or done gets
that one back. Every transition is one conditional UPDATE (`... WHERE status = :expected`) with its audit event in
the same transaction, so two clicks or two instances cannot both start it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.cancellations import CancelPlan, CancelReason, CancelRefund
from domain.money import Money
from storage import audit
from storage.db import Database
from storage.locks import lock_for_transaction
from storage.models import CancellationRow

C = CancellationRow
SYSTEM = "system"
MAX_FAILURE = 2000


class CancelStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"

    @property
    def open(self) -> bool:
        return self in (CancelStatus.PENDING_APPROVAL, CancelStatus.APPROVED, CancelStatus.RUNNING)


class Creation(StrEnum):
    CREATED = "created"  # a new plan (or a failed/rejected one planned again)
    REPEATED = "repeated"  # the same submission again: its cancellation
    BLOCKED = "blocked"  # the order's cancellation is already under way or done


@dataclass(frozen=True)
class CancellationDraft:
    store: str
    order_id: str
    order_name: str
    plan: CancelPlan
    amount: Money  # left to refund when asked (what the store will give back, unless the refund is "none")


@dataclass(frozen=True)
class CancellationView:
    id: int
    store: str
    order_id: str
    order_name: str
    reason: CancelReason
    refund: CancelRefund
    restock: bool
    notify_customer: bool
    staff_note: str
    amount: Money
    refunded: Money | None
    refunded_before: Money | None
    status: CancelStatus
    plan_no: int
    requested_by: str
    approval_request_id: int | None
    job_id: str
    labels_voided: tuple[str, ...]
    failure: str
    slack_channel: str
    slack_thread_ts: str
    checked_at: datetime
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def plan(self) -> CancelPlan:
        return CancelPlan(self.order_id, self.reason, self.refund, self.restock, self.notify_customer, self.staff_note)

    @property
    def operation_key(self) -> str:
        """The key the cancellation runs under (storage.operations): one per plan of the order."""
        return f"cancel-order:{self.store}:{self.order_id}:{self.plan_no}"


@dataclass(frozen=True)
class Created:
    cancellation: CancellationView
    outcome: Creation


def subject(cancellation_id: int) -> str:
    return f"cancellation:{cancellation_id}"


# -- creating ----------------------------------------------------------------------------------------


def create_once(
    db: Database, draft: CancellationDraft, *, requested_by: str, at: datetime, submission_key: str,
    slack_channel: str = "", slack_thread_ts: str = "",
) -> Created:  # fmt: skip
    """Record the cancellation of an order, once: a repeated submission gets its cancellation (REPEATED), an order
    whose cancellation is open or done gets that one (BLOCKED); a failed or rejected one is planned again."""
    status = CancelStatus.PENDING_APPROVAL
    plan = draft.plan
    values: dict[str, Any] = dict(
        order_name=draft.order_name, reason=plan.reason.value, refund_method=plan.refund.value, restock=plan.restock,
        notify_customer=plan.notify_customer, staff_note=plan.staff_note, amount=draft.amount.amount,
        currency=draft.amount.currency, refunded_before=None, refunded=None, status=status.value,
        requested_by=requested_by, approval_request_id=None, job_id="", labels_voided=[], failure="",
        submission_key=submission_key,
        slack_channel=slack_channel, slack_thread_ts=slack_thread_ts, checked_at=at, updated_at=at, finished_at=None,
        card_drawn_at=None,
    )  # fmt: skip
    try:
        with db.session(write=True) as s:
            lock_for_transaction(s, f"cancel-order:{draft.store}:{draft.order_id}")
            earlier = s.scalars(select(C).where(C.submission_key == submission_key)).first()
            if earlier is not None:
                return Created(view_of(earlier), Creation.REPEATED)
            row = s.scalars(select(C).where(C.store == draft.store, C.order_id == draft.order_id)).first()
            if row is not None and CancelStatus(row.status) not in (CancelStatus.FAILED, CancelStatus.REJECTED):
                return Created(view_of(row), Creation.BLOCKED)
            if row is None:
                row = C(store=draft.store, order_id=draft.order_id, plan_no=1, created_at=at, **values)
                s.add(row)
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                row.plan_no += 1
            s.flush()
            _audit(s, row, at=at, actor=requested_by, action="order_cancel.requested", reason=plan.reason.value,
                   refund=plan.refund.value, restock=plan.restock, notify=plan.notify_customer)  # fmt: skip
            return Created(view_of(row), Creation.CREATED)
    except IntegrityError:
        # another instance recorded this order's cancellation between our look and our insert
        with db.session() as s:
            again = s.scalars(select(C).where(C.store == draft.store, C.order_id == draft.order_id)).first()
            if again is None:
                raise
            same = again.submission_key == submission_key
            return Created(view_of(again), Creation.REPEATED if same else Creation.BLOCKED)


# -- transitions -------------------------------------------------------------------------------------


def reject(db: Database, cancellation_id: int, *, actor: str, reason: str, at: datetime) -> bool:
    return _move(db, cancellation_id, (CancelStatus.PENDING_APPROVAL,), CancelStatus.REJECTED, actor=actor, at=at,
                 action="order_cancel.rejected", failure=reason[:MAX_FAILURE])  # fmt: skip


def start(
    db: Database, cancellation_id: int, *, actor: str, at: datetime, plan_no: int, request_id: int
) -> CancellationView | None:
    """pending_approval | failed -> running, once its approval request `request_id` is approved for plan `plan_no`:
    the cancellation for the one caller that started it, None for anyone else (or for an earlier plan's request)."""
    expected = (CancelStatus.PENDING_APPROVAL, CancelStatus.APPROVED, CancelStatus.FAILED)
    with db.session(write=True) as s:
        if not _update(s, cancellation_id, expected, C.plan_no == plan_no, status=CancelStatus.RUNNING,
                       updated_at=at, failure="", approval_request_id=request_id):  # fmt: skip
            return None
        row = _load(s, cancellation_id)
        _audit(s, row, at=at, actor=actor, action="order_cancel.started")
        return view_of(row)


def _before(refunded_before: Money | None) -> Any:
    """The order's refunded total just before the store was asked (what the cancellation refunds is the rest), kept
    from the first attempt that knew it: a retry finds the order cancelled already, and no longer knows."""
    if refunded_before is None:
        return C.refunded_before
    return func.coalesce(C.refunded_before, refunded_before.amount)


def job_running(
    db: Database, cancellation_id: int, job_id: str, *, voided: list[str], refunded_before: Money | None, at: datetime
) -> None:
    """The store took it and works on it as `job_id` (the labels `voided` first): the tick checks it from now on."""
    with db.session(write=True) as s:
        changed = _update(
            s, cancellation_id, (CancelStatus.RUNNING,), job_id=job_id, labels_voided=voided, updated_at=at,
            refunded_before=_before(refunded_before),
        )
        if changed:
            _audit(s, _load(s, cancellation_id), at=at, actor=SYSTEM, action="order_cancel.job_running", job=job_id)


def finish(
    db: Database, cancellation_id: int, *, at: datetime, refunded: Money | None, voided: list[str],
    cancelled_at: datetime | None, refunded_before: Money | None = None,
) -> tuple[bool, CancellationView]:  # fmt: skip
    """running -> done, with what the store refunded and the labels voided first (finished `at`, as the bot saw it;
    the store's own time of cancelling goes into the audit). (True for the one caller, the cancellation now)."""
    amount = refunded.amount if refunded is not None else None
    with db.session(write=True) as s:
        if not _update(s, cancellation_id, (CancelStatus.RUNNING,), status=CancelStatus.DONE, refunded=amount,
                       labels_voided=voided, failure="", updated_at=at, finished_at=at,
                       refunded_before=_before(refunded_before)):  # fmt: skip
            return False, view_of(_load(s, cancellation_id))
        row = _load(s, cancellation_id)
        _audit(s, row, at=at, actor=SYSTEM, action="order_cancel.done", refunded=str(amount or Decimal(0)),
               labels_voided=voided, store_cancelled_at=cancelled_at.isoformat() if cancelled_at else None)  # fmt: skip
        return True, view_of(row)


def fail(db: Database, cancellation_id: int, failure: str, *, at: datetime) -> bool:
    """running -> failed with the reason in words: nothing was cancelled; asking again plans it anew."""
    with db.session(write=True) as s:
        if not _update(s, cancellation_id, (CancelStatus.RUNNING,), status=CancelStatus.FAILED,
                       failure=failure[:MAX_FAILURE], job_id="", updated_at=at):  # fmt: skip
            return False
        _audit(s, _load(s, cancellation_id), at=at, actor=SYSTEM, action="order_cancel.failed", why=failure[:500])
        return True


def touch(db: Database, cancellation_id: int, *, at: datetime) -> None:
    """A running cancellation was looked at (its job polled): the next look waits its turn."""
    with db.session(write=True) as s:
        _update(s, cancellation_id, (CancelStatus.RUNNING,), updated_at=at)


# -- reading -----------------------------------------------------------------------------------------


def get(db: Database, cancellation_id: int) -> CancellationView:
    with db.session() as s:
        return view_of(_load(s, cancellation_id))


def for_order(db: Database, store: str, order_id: str) -> CancellationView | None:
    with db.session() as s:
        row = s.scalars(select(C).where(C.store == store, C.order_id == order_id)).first()
        return view_of(row) if row is not None else None


def running(db: Database, *, updated_before: datetime, limit: int = 100) -> list[CancellationView]:
    """Cancellations still running that nobody has looked at after `updated_before`, oldest first."""
    stmt = (
        select(C)
        .where(C.status == CancelStatus.RUNNING, C.updated_at <= updated_before)
        .order_by(C.updated_at, C.id)
        .limit(limit)
    )
    with db.session() as s:
        return [view_of(r) for r in s.scalars(stmt)]


def card_drawn(db: Database, cancellation_id: int, *, at: datetime) -> None:
    """The order's card shows the cancelled order now (drawing it again is harmless: the same card)."""
    with db.session(write=True) as s:
        s.execute(update(C).where(C.id == cancellation_id, C.card_drawn_at.is_(None)).values(card_drawn_at=at))


def cards_to_draw(db: Database, *, limit: int = 50) -> list[CancellationView]:
    """Cancelled orders whose card in Slack still shows them as they were (a team lead's approval ran it)."""
    stmt = (
        select(C)
        .where(C.status == CancelStatus.DONE, C.card_drawn_at.is_(None), C.slack_thread_ts != "")
        .order_by(C.finished_at, C.id)
        .limit(limit)
    )
    with db.session() as s:
        return [view_of(r) for r in s.scalars(stmt)]


def done_between(db: Database, start_at: datetime, end_at: datetime) -> list[CancellationView]:
    """Cancellations finished in [start_at, end_at), oldest first."""
    stmt = (
        select(C)
        .where(C.status == CancelStatus.DONE, C.finished_at >= start_at, C.finished_at < end_at)
        .order_by(C.finished_at, C.id)
    )
    with db.session() as s:
        return [view_of(r) for r in s.scalars(stmt)]


def view_of(row: CancellationRow) -> CancellationView:
    return CancellationView(
        id=row.id, store=row.store, order_id=row.order_id, order_name=row.order_name,
        reason=CancelReason(row.reason), refund=CancelRefund(row.refund_method), restock=row.restock,
        notify_customer=row.notify_customer, staff_note=row.staff_note, amount=Money(row.amount, row.currency),
        refunded=Money(row.refunded, row.currency) if row.refunded is not None else None,
        refunded_before=Money(row.refunded_before, row.currency) if row.refunded_before is not None else None,
        status=CancelStatus(row.status), plan_no=row.plan_no, requested_by=row.requested_by,
        approval_request_id=row.approval_request_id, job_id=row.job_id,
        labels_voided=tuple(row.labels_voided or ()), failure=row.failure,
        slack_channel=row.slack_channel, slack_thread_ts=row.slack_thread_ts, checked_at=row.checked_at,
        created_at=row.created_at,
        updated_at=row.updated_at, finished_at=row.finished_at,
    )  # fmt: skip


# -- internals ---------------------------------------------------------------------------------------


def _move(
    db: Database, cancellation_id: int, expected: tuple[CancelStatus, ...], to: CancelStatus, *, actor: str,
    at: datetime, action: str, **values: Any,
) -> bool:  # fmt: skip
    with db.session(write=True) as s:
        if not _update(s, cancellation_id, expected, status=to, updated_at=at, **values):
            return False
        _audit(s, _load(s, cancellation_id), at=at, actor=actor, action=action)
        return True


def _update(
    s: Session, cancellation_id: int, expected: tuple[CancelStatus, ...], *guards: ColumnElement[bool], **values: Any
) -> bool:
    stmt = (
        update(C)
        .where(C.id == cancellation_id, C.status.in_([e.value for e in expected]), *guards)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = s.execute(stmt)
    assert isinstance(result, CursorResult)  # an UPDATE's result counts its rows
    return result.rowcount == 1


def _load(s: Session, cancellation_id: int) -> CancellationRow:
    row = s.get(C, cancellation_id, populate_existing=True)
    if row is None:
        raise LookupError(f"no cancellation {cancellation_id}")
    return row


def _audit(s: Session, row: CancellationRow, *, at: datetime, actor: str, action: str, **details: Any) -> None:
    audit.record(s, at=at, actor=actor, action=action, subject=subject(row.id), order=row.order_name,
                 amount=str(row.amount), currency=row.currency, **details)  # fmt: skip
