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
approve at all (the approvers' user group) is the caller's check, made at click time.

An order has one open request at a time (`create_once(..., alone=True)`), and what was approved automatically
on an order is counted against the auto-approve limit: both are decided under a per-order lock in the same
write transaction as the insert, so two agents submitting at once (or five requests of 49.90 under a limit of
50) cannot split a refund past the team leads.

Requests have a kind (domain.refunds.RequestKind: a refund, a replacement, a cancellation). Every rule above holds
for each kind alike, and both the one open request and the auto-approved amount are counted per kind: an open
replacement does not block a refund of the same order, and a replacement's list value is not money refunded.
Audit actions are named after the kind ("replacement.approved"); the subject is the request either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Executable, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.refunds import OPEN_REFUND_STATUSES, RefundStatus, RequestKind
from storage import audit
from storage.db import Database
from storage.locks import lock_for_transaction
from storage.models import RefundRequestRow
from storage.refund_records import AUTO as AUTO
from storage.refund_records import INTERRUPTED as INTERRUPTED
from storage.refund_records import MAX_AMOUNT as MAX_AMOUNT
from storage.refund_records import MAX_FAILURE as MAX_FAILURE
from storage.refund_records import SYSTEM as SYSTEM
from storage.refund_records import Created as Created
from storage.refund_records import Creation as Creation
from storage.refund_records import ExecutionStart as ExecutionStart
from storage.refund_records import Outcome as Outcome
from storage.refund_records import PlannedPayment as PlannedPayment
from storage.refund_records import RefundDraft as RefundDraft
from storage.refund_records import RefundLine as RefundLine
from storage.refund_records import RefundRequestNotFound as RefundRequestNotFound
from storage.refund_records import RefundRequestView as RefundRequestView
from storage.refund_records import Transition as Transition
from storage.refund_records import money_text, view_of

R = RefundRequestRow


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
    """Record a request as it is (pending, or approved by "auto"), beside any other of its order: tools and
    tests. The workflow uses `create_once`, which keeps to one open request per order and to the limit."""
    return create_once(
        db, draft, requested_by=requested_by, at=at, auto_approve_up_to=MAX_AMOUNT if auto_approved else None,
        alone=False, slack_channel=slack_channel, slack_thread_ts=slack_thread_ts,
    ).request  # fmt: skip


def create_once(
    db: Database,
    draft: RefundDraft,
    *,
    requested_by: str,
    at: datetime,
    auto_approve_up_to: Decimal | None = None,
    alone: bool = True,
    slack_channel: str = "",
    slack_thread_ts: str = "",
    submission_key: str | None = None,
) -> Created:
    """Record a request, once per `submission_key` (a form submitted twice, or retried by Slack: the second call
    gets the first request, REPEATED).

    `alone`: refused (BLOCKED, with the open request) while another request of the order is open.
    `auto_approve_up_to`: approved by "auto" when this amount, with what was auto-approved on the order before and
    what waits for a team lead there, stays within it (None: a team lead decides).

    Both are decided under a lock on the order, in the transaction of the insert: also between two instances.
    """
    _check_person(requested_by)
    try:
        with db.session(write=True) as s:
            lock_for_transaction(s, f"refund-order:{draft.store}:{draft.order_id}")
            earlier = _by_submission(s, submission_key)
            if earlier is not None:
                return Created(view_of(earlier), Creation.REPEATED)
            if alone:
                blocking = _open_of(s, draft)
                if blocking is not None:
                    return Created(view_of(blocking), Creation.BLOCKED)
            auto = auto_approve_up_to is not None and _counted(s, draft) + draft.amount <= auto_approve_up_to
            row = _new_row(draft, requested_by, at, auto, slack_channel, slack_thread_ts, submission_key)
            s.add(row)
            s.flush()  # the id names the audit subject
            _audit(s, row, at=at, actor=requested_by, action="requested", auto_approved=auto)
            if auto:
                _audit(s, row, at=at, actor=AUTO, action="approved")
            return Created(view_of(row), Creation.CREATED)
    except IntegrityError:
        # the same submission committed by another instance between our look and our insert
        with db.session() as s:
            again = _by_submission(s, submission_key)
            if again is None:
                raise
            return Created(view_of(again), Creation.REPEATED)


def _new_row(
    draft: RefundDraft, requested_by: str, at: datetime, auto: bool, channel: str, thread: str, key: str | None
) -> RefundRequestRow:
    return R(
        store=draft.store, order_id=draft.order_id, order_name=draft.order_name, submission_key=key,
        lines=[{"line_item_id": li.line_item_id, "name": li.name, "quantity": li.quantity,
                "restock": li.restock.value} for li in draft.lines],
        transactions=[{"gateway": p.gateway, "amount": money_text(p.amount), "parent_id": p.parent_id}
                      for p in draft.transactions],
        shipping=draft.shipping, restock=draft.restock.value, amount=draft.amount, currency=draft.currency,
        reason=draft.reason, note=draft.note, notify_customer=draft.notify_customer, requested_by=requested_by,
        status=RefundStatus.APPROVED if auto else RefundStatus.PENDING_APPROVAL,
        decided_by=AUTO if auto else None, decided_at=at if auto else None, reject_reason="",
        # made once, here, and sent on every attempt: the store then refunds at most once per request
        idempotency_key=str(uuid.uuid4()),
        store_refund_id="", failure="", attempts=0, slack_channel=channel, slack_thread_ts=thread,
        slack_approval_channel="", slack_approval_ts="", created_at=at, updated_at=at,
        kind=draft.kind.value, details=dict(draft.details), result={},
    )  # fmt: skip


def _open_of(s: Session, draft: RefundDraft) -> RefundRequestRow | None:
    stmt = (
        select(R)
        .where(
            R.store == draft.store, R.order_id == draft.order_id, R.kind == draft.kind.value,
            R.status.in_(OPEN_REFUND_STATUSES),
        )
        .order_by(R.id)
    )
    return s.scalars(stmt).first()


def _counted(s: Session, draft: RefundDraft) -> Decimal:
    """What counts against the auto-approve limit on the order: every auto-approved request of the kind (refunded,
    being refunded or failed and retryable) and every one waiting for a team lead."""
    amounts = s.scalars(
        select(R.amount).where(
            R.store == draft.store, R.order_id == draft.order_id, R.kind == draft.kind.value,
            or_(R.decided_by == AUTO, R.status == RefundStatus.PENDING_APPROVAL),
        )
    )  # fmt: skip
    return sum(amounts, Decimal(0))  # summed here: SQLite keeps amounts as text


def _by_submission(s: Session, submission_key: str | None) -> RefundRequestRow | None:
    if submission_key is None:
        return None
    return s.scalars(select(R).where(R.submission_key == submission_key)).first()


# -- deciding ----------------------------------------------------------------------------------------


def approve(db: Database, request_id: int, *, approver: str, at: datetime) -> Transition:
    """pending_approval -> approved, unless `approver` is the requester."""
    _check_person(approver)
    with db.session(write=True) as s:
        won = _update(
            s, request_id, (RefundStatus.PENDING_APPROVAL,), R.requested_by != approver,
            status=RefundStatus.APPROVED, decided_by=approver, decided_at=at, updated_at=at,
        )  # fmt: skip
        return _decided(s, request_id, won, actor=approver, at=at, action="approved", attempted="approve")


def reject(db: Database, request_id: int, *, approver: str, reason: str, at: datetime) -> Transition:
    """pending_approval -> rejected, with the reason the requester will read; not by the requester."""
    _check_person(approver)
    if not reason.strip():
        raise ValueError("a rejection needs a reason")
    with db.session(write=True) as s:
        won = _update(
            s, request_id, (RefundStatus.PENDING_APPROVAL,), R.requested_by != approver,
            status=RefundStatus.REJECTED, decided_by=approver, decided_at=at, reject_reason=reason, updated_at=at,
        )  # fmt: skip
        return _decided(
            s, request_id, won, actor=approver, at=at, action="rejected", attempted="reject", reason=reason
        )


def _decided(
    s: Session, request_id: int, won: bool, *, actor: str, at: datetime, action: str, attempted: str, **details: Any
) -> Transition:
    row = _load(s, request_id)
    if won:
        _audit(s, row, at=at, actor=actor, action=action, **details)
        return Transition(True, view_of(row), Outcome.APPLIED)
    if row.status == RefundStatus.PENDING_APPROVAL and row.requested_by == actor:
        # an authorization decision: logged, in the same transaction as the refusal
        _audit(s, row, at=at, actor=actor, action="decision_denied", attempted=attempted, why="own request")
        return Transition(False, view_of(row), Outcome.SELF_APPROVAL)
    return Transition(False, view_of(row), Outcome.WRONG_STATE)


# -- executing ---------------------------------------------------------------------------------------


def start_execution(
    db: Database, request_id: int, *, actor: str, at: datetime, from_status: RefundStatus | None = None
) -> ExecutionStart:
    """approved | failed -> executing; one more attempt, under the request's one idempotency key.

    Only one execution is ever in flight: a second caller finds `executing` and loses. The decider check
    is repeated here so that no row reaches the store without a decision by someone else (or "auto").
    `from_status` starts only from that status: an approval never retries, a Retry never starts an approval.
    """
    expected = (from_status,) if from_status is not None else (RefundStatus.APPROVED, RefundStatus.FAILED)
    with db.session(write=True) as s:
        won = _update(
            s, request_id, expected, or_(R.decided_by == AUTO, R.decided_by != R.requested_by),
            status=RefundStatus.EXECUTING, attempts=R.attempts + 1, failure="", updated_at=at,
        )  # fmt: skip
        row = _load(s, request_id)
        if not won:
            # judged on the row as read now: on PostgreSQL it may have moved on since the UPDATE looked
            self_decided = row.status in (RefundStatus.APPROVED, RefundStatus.FAILED) and not _properly_decided(row)
            outcome = Outcome.SELF_APPROVAL if self_decided else Outcome.WRONG_STATE
            return ExecutionStart(False, view_of(row), outcome)
        # attempts only grows here, so the first attempt always came from `approved`, later ones from `failed`
        action = "executing" if row.attempts == 1 else "retried"
        _audit(s, row, at=at, actor=actor, action=action, attempt=row.attempts)
        return ExecutionStart(True, view_of(row), Outcome.APPLIED, row.idempotency_key, row.attempts)


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
    result: Mapping[str, Any] | None = None,
) -> Transition:
    """executing -> succeeded | failed, for the attempt `start_execution` handed out. `store_refund_id` is the
    store's id of what was made (a refund, a replacement order ...); `result` what the thread reports of it.

    `attempt` fences off late reports: a duplicate "failed" of attempt 1 arriving while attempt 2 runs
    would otherwise mark attempt 2 failed and let a third start beside it.
    """
    if succeeded and (not store_refund_id or failure):
        raise ValueError("a succeeded refund has the store's refund id and no failure")
    if not succeeded and (store_refund_id or not failure.strip()):
        raise ValueError("a failed refund has a failure and no store refund id")
    outcome: dict[str, Any] = (
        {"store_refund_id": store_refund_id} if succeeded else {"failure": failure[:MAX_FAILURE]}
    )
    values = dict(outcome, result=dict(result)) if succeeded and result else outcome
    status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
    with db.session(write=True) as s:
        won = _update(
            s, request_id, (RefundStatus.EXECUTING,), R.attempts == attempt, status=status, updated_at=at, **values
        )
        row = _load(s, request_id)
        if not won:
            return Transition(False, view_of(row), Outcome.WRONG_STATE)
        _audit(s, row, at=at, actor=actor, action=str(status), attempt=attempt, **outcome)
        return Transition(True, view_of(row), Outcome.APPLIED)


def fail_interrupted(db: Database, *, started_before: datetime, at: datetime) -> list[RefundRequestView]:
    """executing -> failed for attempts started before `started_before`: the instance running them stopped.

    Whether the store refunded is unknown, so the request becomes `failed` with Retry offered; the retry sends
    the same key, and the store answers with the first refund if there was one. A late report of the
    interrupted attempt is then fenced off by its attempt number.
    """
    with db.session() as s:
        stale = s.execute(
            select(R.id, R.attempts)
            .where(R.status == RefundStatus.EXECUTING, R.updated_at < started_before)
            .order_by(R.id)
        ).all()
    released = []
    for request_id, attempt in stale:
        with db.session(write=True) as s:
            if _update(s, request_id, (RefundStatus.EXECUTING,), R.attempts == attempt,
                       status=RefundStatus.FAILED, failure=INTERRUPTED, updated_at=at):  # fmt: skip
                row = _load(s, request_id)
                _audit(s, row, at=at, actor=SYSTEM, action="interrupted", attempt=attempt)
                released.append(view_of(row))
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
        return _changed_one(s, stmt)


# -- reading -----------------------------------------------------------------------------------------


def get(db: Database, request_id: int) -> RefundRequestView:
    with db.session() as s:
        return view_of(_load(s, request_id))


def for_order(db: Database, order_id: str) -> list[RefundRequestView]:
    with db.session() as s:
        return [view_of(r) for r in s.scalars(select(R).where(R.order_id == order_id).order_by(R.id))]


def open_for_order(
    db: Database, store: str, order_id: str, kind: RequestKind = RequestKind.REFUND
) -> list[RefundRequestView]:
    """The order's requests of `kind` on their way (pending, approved, being carried out), oldest first."""
    stmt = (
        select(R)
        .where(R.store == store, R.order_id == order_id, R.kind == kind.value, R.status.in_(OPEN_REFUND_STATUSES))
        .order_by(R.id)
    )
    with db.session() as s:
        return [view_of(r) for r in s.scalars(stmt)]


def with_status(db: Database, status: RefundStatus | str, *, limit: int = 200) -> list[RefundRequestView]:
    """Oldest first: the approvals queue, or executions a reconciler should look at."""
    stmt = select(R).where(R.status == RefundStatus(status)).order_by(R.created_at, R.id).limit(limit)
    with db.session() as s:
        return [view_of(r) for r in s.scalars(stmt)]


def subject(request_id: int) -> str:
    """The audit subject of a request."""
    return f"refund_request:{request_id}"


# -- internals ---------------------------------------------------------------------------------------


def _update(
    s: Session, request_id: int, expected: Sequence[RefundStatus], *guards: ColumnElement[bool], **values: Any
) -> bool:
    """The one conditional UPDATE of a transition; True when this call changed the row."""
    stmt = (
        update(R)
        .where(R.id == request_id, R.status.in_(expected), *guards)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    # (a NULL in a guard is never true: an undecided row cannot pass `decided_by <> requested_by`)
    return _changed_one(s, stmt)


def _changed_one(s: Session, stmt: Executable) -> bool:
    result = s.execute(stmt)
    assert isinstance(result, CursorResult)  # an UPDATE's result counts its rows
    return result.rowcount == 1


def _load(s: Session, request_id: int) -> RefundRequestRow:
    # populate_existing: after an UPDATE the row must be read from the database, not the identity map
    row = s.get(R, request_id, populate_existing=True)
    if row is None:
        raise RefundRequestNotFound(request_id)
    return row


def of_kind_for_order(db: Database, store: str, order_id: str, kind: RequestKind) -> list[RefundRequestView]:
    """Every request of `kind` for the order, oldest first (a card lists the order's replacements)."""
    stmt = select(R).where(R.store == store, R.order_id == order_id, R.kind == kind.value).order_by(R.id)
    with db.session() as s:
        return [view_of(r) for r in s.scalars(stmt)]


def _audit(s: Session, row: RefundRequestRow, *, at: datetime, actor: str, action: str, **details: Any) -> None:
    """`action` is the verb; the event is named after the request's kind ("refund.approved")."""
    audit.record(
        s, at=at, actor=actor, action=f"{row.kind or RequestKind.REFUND}.{action}", subject=subject(row.id),
        order=row.order_name, amount=money_text(row.amount), currency=row.currency, **details,
    )  # fmt: skip


def _properly_decided(row: RefundRequestRow) -> bool:
    """The start_execution guard, in Python: decided, and not by the requester (unless automatically)."""
    return row.decided_by is not None and (row.decided_by == AUTO or row.decided_by != row.requested_by)


def _check_person(user: str) -> None:
    if not user or user in (AUTO, SYSTEM):
        raise ValueError(f"{user!r} is not a person who can request or decide a refund")
