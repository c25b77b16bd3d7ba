"""Return cases after the label: in transit, received, closed, expired, snoozed; and what the scheduler polls.

    label_created -> in_transit -> received -> resolved
    label_created | in_transit -> resolved ("kept": the customer keeps the items) | expired

Every transition is ONE conditional UPDATE (`... WHERE rma = :rma AND status IN (:expected)`, storage.returns
`_update_case`) with its audit event in the same transaction: whoever's UPDATE changes the row has won, so two
people pressing Mark received, or the carrier's scan arriving while the warehouse presses it, make one receipt.
What the label scheduled (reminder, escalation, expiry: storage.reminders) is cancelled in that transaction too,
so nothing is sent about a case that was received, closed or expired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from domain.vocabulary import LabelStatus, ReturnStatus
from storage import audit, reminders
from storage.db import Database
from storage.models import LabelRow, RefundRequestRow, ReminderRow, ReturnCaseRow
from storage.returns import CaseView, _rowcount, _update_case, _view

REMINDER, ESCALATION, EXPIRY = "reminder", "escalation", "expiry"
RECEIVED = "received"  # after a receipt: the store's processing and the customer's e-mail, retried until done
CASE_KINDS = (REMINDER, ESCALATION, EXPIRY)  # what a label schedules; nothing of it outlives an open case
RECEIVABLE = (ReturnStatus.LABEL_CREATED, ReturnStatus.IN_TRANSIT)
KEPT = "kept"
SYSTEM = "system"  # the actor of what the scheduler decides
MAX_NOTE = 2000
FOLLOW_UP_AFTER = timedelta(minutes=1)


def subject(rma: str) -> str:
    """The audit subject of a return case."""
    return f"return:{rma}"


# -- transitions -----------------------------------------------------------------------------------------


def in_transit(db: Database, rma: str, *, at: datetime, actor: str = "carrier") -> bool:
    """label_created -> in_transit (the carrier scanned the parcel), and the label with it."""
    with db.session(write=True) as s:
        if not _update_case(s, rma, (ReturnStatus.LABEL_CREATED,), status=ReturnStatus.IN_TRANSIT, updated_at=at):
            return False
        _labels(s, rma, (LabelStatus.CREATED,), LabelStatus.IN_TRANSIT, at)
        _audit(s, rma, at=at, actor=actor, action="return.in_transit")
        return True


@dataclass(frozen=True)
class ReceiptRecord:
    actor: str  # a Slack user id, "carrier" or "shopify"
    source: str  # slack | carrier | shopify
    items: list[dict[str, Any]]  # [{line_item_id, name, quantity, condition}]
    note: str = ""


def receive(db: Database, rma: str, receipt: ReceiptRecord, *, at: datetime) -> bool:
    """label_created | in_transit -> received, with what came back; the label is delivered, the reminders
    cancelled, and the follow-up (store, customer e-mail) scheduled to be retried (`received:<rma>`), all in one
    transaction. False when the case had moved on (received by someone else a moment before, or closed)."""
    with db.session(write=True) as s:
        won = _update_case(
            s, rma, RECEIVABLE, status=ReturnStatus.RECEIVED, received_at=at, received_by=receipt.actor,
            received_source=receipt.source, receipt=receipt.items, receipt_note=receipt.note[:MAX_NOTE],
            snoozed_until=None, updated_at=at,
        )  # fmt: skip
        if not won:
            return False
        _labels(s, rma, (LabelStatus.CREATED, LabelStatus.IN_TRANSIT), LabelStatus.DELIVERED, at)
        reminders.cancel(s, subject=rma, kinds=CASE_KINDS, now=at)
        # a minute's head start for the caller, who does the follow-up at once: the scheduler only retries it
        due = at + FOLLOW_UP_AFTER
        reminders.schedule(s, key=f"{RECEIVED}:{rma}", kind=RECEIVED, subject=rma, due_at=due, now=at)
        units = sum(int(i["quantity"]) for i in receipt.items)
        _audit(s, rma, at=at, actor=receipt.actor, action="return.received", source=receipt.source, units=units)
        return True


def close_kept(db: Database, rma: str, *, actor: str, at: datetime) -> bool:
    """label_created | in_transit -> resolved: the customer keeps the items; nothing more is sent."""
    with db.session(write=True) as s:
        if not _update_case(s, rma, RECEIVABLE, status=ReturnStatus.RESOLVED, resolution=KEPT, updated_at=at):
            return False
        reminders.cancel(s, subject=rma, kinds=CASE_KINDS, now=at)
        _audit(s, rma, at=at, actor=actor, action="return.closed", resolution=KEPT)
        return True


def resolve(db: Database, rma: str, *, resolution: str, actor: str, at: datetime) -> bool:
    """received -> resolved (refunded, or a replacement sent)."""
    with db.session(write=True) as s:
        won = _update_case(
            s, rma, (ReturnStatus.RECEIVED,), status=ReturnStatus.RESOLVED, resolution=resolution, updated_at=at
        )
        if won:
            _audit(s, rma, at=at, actor=actor, action="return.resolved", resolution=resolution)
        return won


def expire(db: Database, rma: str, *, at: datetime, label_voided: bool) -> bool:
    """label_created | in_transit -> expired: the parcel never came. The label is voided when the carrier did."""
    with db.session(write=True) as s:
        if not _update_case(s, rma, RECEIVABLE, status=ReturnStatus.EXPIRED, snoozed_until=None, updated_at=at):
            return False
        if label_voided:
            _labels(s, rma, (LabelStatus.CREATED,), LabelStatus.VOIDED, at)
        # the expiry row itself is the tick's, which marks it sent
        reminders.cancel(s, subject=rma, kinds=(REMINDER, ESCALATION), now=at)
        _audit(s, rma, at=at, actor=SYSTEM, action="return.expired", label_voided=label_voided)
        return True


def snooze(db: Database, rma: str, *, actor: str, until: datetime, at: datetime) -> bool:
    """Nothing about an open case until `until`: escalation and expiry move there, and a fresh reminder is due
    then (the one that led to the snooze was already sent). False when the case is not open."""
    with db.session(write=True) as s:
        if not _update_case(s, rma, RECEIVABLE, snoozed_until=until, updated_at=at):
            return False
        reminders.postpone(s, subject=rma, kinds=CASE_KINDS, until=until, now=at)
        waiting = s.scalar(
            select(func.count())
            .select_from(ReminderRow)
            .where(ReminderRow.subject == rma, ReminderRow.kind == REMINDER, ReminderRow.status == "pending")
        )
        if not waiting:  # the reminder that led here was sent: one more when the snooze ends
            key = f"{REMINDER}:{rma}:{until.date().isoformat()}"
            reminders.schedule(s, key=key, kind=REMINDER, subject=rma, due_at=until, now=at)
        _audit(s, rma, at=at, actor=actor, action="return.snoozed", until=until.isoformat())
        return True


def mark_finished(db: Database, rma: str, *, at: datetime) -> bool:
    """The case's Slack steps after the label are done: the scheduler need not finish them."""
    with db.session(write=True) as s:
        done = _rowcount(
            s,
            update(ReturnCaseRow)
            .where(ReturnCaseRow.rma == rma, ReturnCaseRow.finished_at.is_(None))
            .values(finished_at=at),
        )
        reminders.cancel(s, subject=rma, kinds=("resume",), now=at, claimed=False)  # a resuming tick's own row
        return done == 1


def set_reminder_message(db: Database, rma: str, ts: str) -> None:
    """Where the reminder in the thread is, so that its buttons update that message."""
    with db.session(write=True) as s:
        s.execute(update(ReturnCaseRow).where(ReturnCaseRow.rma == rma).values(slack_reminder_ts=ts))


# -- what the scheduler reads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracked:
    rma: str
    label_id: int
    carrier: str
    tracking_number: str
    status: LabelStatus


def labels_to_track(db: Database, *, limit: int, at: datetime) -> list[Tracked]:
    """Labels on their way of open cases, least recently asked first (never asked, or scanned, first); marked
    asked now, so that the next tick asks the next ones."""
    stmt = (
        select(ReturnCaseRow.rma, LabelRow.id, LabelRow.carrier, LabelRow.tracking_number, LabelRow.status)
        .join(ReturnCaseRow, ReturnCaseRow.id == LabelRow.return_case_id)
        .where(
            LabelRow.status.in_((LabelStatus.CREATED, LabelStatus.IN_TRANSIT)),
            ReturnCaseRow.status.in_(RECEIVABLE),
        )
        .order_by(LabelRow.tracked_at.asc().nulls_first(), LabelRow.id)
        .limit(limit)
    )
    with db.session(write=True) as s:
        found = [Tracked(r[0], r[1], r[2], r[3] or "", LabelStatus(r[4])) for r in s.execute(stmt)]
        if found:
            s.execute(update(LabelRow).where(LabelRow.id.in_([t.label_id for t in found])).values(tracked_at=at))
    return found


@dataclass(frozen=True)
class StoreReturnRef:
    rma: str
    order_id: str
    store_return_id: str


def store_returns_to_poll(db: Database, *, limit: int, at: datetime) -> list[StoreReturnRef]:
    """Open cases with a return in the store's own system, least recently read first; marked read now."""
    stmt = (
        select(ReturnCaseRow.id, ReturnCaseRow.rma, ReturnCaseRow.order_id, ReturnCaseRow.shopify_return_id)
        .where(ReturnCaseRow.status.in_(RECEIVABLE), ReturnCaseRow.shopify_return_id != "")
        .order_by(ReturnCaseRow.polled_at.asc().nulls_first(), ReturnCaseRow.id)
        .limit(limit)
    )
    with db.session(write=True) as s:
        rows = list(s.execute(stmt))
        if rows:
            s.execute(update(ReturnCaseRow).where(ReturnCaseRow.id.in_([r[0] for r in rows])).values(polled_at=at))
    return [StoreReturnRef(r[1], r[2], r[3]) for r in rows]


def cases_with_status(
    db: Database, statuses: Sequence[ReturnStatus], *, limit: int, created_before: datetime | None = None
) -> list[CaseView]:
    """Cases in these statuses, oldest first, without labels (the digest's lists)."""
    stmt = select(ReturnCaseRow).where(ReturnCaseRow.status.in_(list(statuses)))
    if created_before is not None:
        stmt = stmt.where(ReturnCaseRow.created_at <= created_before)
    stmt = stmt.order_by(ReturnCaseRow.created_at, ReturnCaseRow.id).limit(limit)
    with db.session() as s:
        return [_view(row, None) for row in s.scalars(stmt)]


def count_with_status(db: Database, statuses: Sequence[ReturnStatus], *, created_before: datetime | None = None) -> int:
    stmt = select(func.count()).select_from(ReturnCaseRow).where(ReturnCaseRow.status.in_(list(statuses)))
    if created_before is not None:
        stmt = stmt.where(ReturnCaseRow.created_at <= created_before)
    with db.session() as s:
        return int(s.scalar(stmt) or 0)


def refunded_since_receipt(db: Database, *, limit: int) -> list[str]:
    """RMAs of received cases whose order was refunded by the bot after the receipt: resolved by that refund."""
    stmt = (
        select(ReturnCaseRow.rma)
        .join(RefundRequestRow, RefundRequestRow.order_id == ReturnCaseRow.order_id)
        .where(
            ReturnCaseRow.status == ReturnStatus.RECEIVED,
            RefundRequestRow.store == ReturnCaseRow.store,
            RefundRequestRow.status == "succeeded",
            RefundRequestRow.kind == "refund",  # a replacement (an exchange) or a cancellation is no refund
            RefundRequestRow.updated_at >= ReturnCaseRow.received_at,
        )
        .distinct()
        .limit(limit)
    )
    with db.session() as s:
        return list(s.scalars(stmt))


# -- helpers ---------------------------------------------------------------------------------------------


def _labels(s: Session, rma: str, expected: Sequence[LabelStatus], status: LabelStatus, at: datetime) -> None:
    case_id = select(ReturnCaseRow.id).where(ReturnCaseRow.rma == rma).scalar_subquery()
    s.execute(
        update(LabelRow)
        .where(LabelRow.return_case_id == case_id, LabelRow.status.in_(list(expected)))
        .values(status=status, updated_at=at)
        .execution_options(synchronize_session=False)
    )


def _audit(s: Session, rma: str, *, at: datetime, actor: str, action: str, **details: Any) -> None:
    order = s.scalar(select(ReturnCaseRow.order_name).where(ReturnCaseRow.rma == rma)) or ""
    audit.record(s, at=at, actor=actor, action=action, subject=subject(rma), order=order, **details)
