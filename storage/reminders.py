"""The scheduler's due work, sent exactly once however many instances tick.

    pending -> claimed -> sent | cancelled
    claimed -> pending            (the send failed: tried again at `retry_at`)
    claimed (claim expired) -> claimed by another instance

A tick *claims* what is due in one statement: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)
RETURNING …` on PostgreSQL, so two instances claiming in the same instant take disjoint rows without
waiting on each other; on SQLite the same statement runs in a `BEGIN IMMEDIATE` transaction, which
admits one writer at a time. A claim is a lease: if its holder dies, the row is due again once
`claim_expires_at` has passed. Each claim increments `attempts`, and finishing a reminder names the
attempt it holds, so a holder that was too slow (its lease taken over) can no longer mark it sent.
What is sent runs under an operation key made from the reminder's key (storage.operations.run_once),
so a takeover after a send that succeeded but was not yet marked never sends twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple, cast

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from storage.db import Database
from storage.models import ReminderRow

LEASE = timedelta(minutes=5)
MAX_ERROR = 2000


class ReminderStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Reminder:
    id: int
    key: str
    kind: str
    subject: str
    due_at: datetime
    status: ReminderStatus
    attempt: int  # the claim this copy holds; finishing it names this attempt
    claimed_by: str = ""


def _reminder(row: ReminderRow) -> Reminder:
    return Reminder(
        row.id, row.key, row.kind, row.subject, row.due_at, ReminderStatus(row.status), row.attempts, row.claimed_by
    )


class NewReminder(NamedTuple):
    key: str
    kind: str
    subject: str
    due_at: datetime


def schedule(s: Session, *, key: str, kind: str, subject: str, due_at: datetime, now: datetime) -> bool:
    """Add a reminder unless one with this key exists (whatever its state); True when this call added it."""
    return bool(schedule_many(s, [NewReminder(key, kind, subject, due_at)], now=now))


def schedule_many(s: Session, new: Sequence[NewReminder], *, now: datetime) -> set[str]:
    """`schedule` for several reminders in one statement; the keys this call added."""
    if not new:
        return set()
    fresh = dict(
        status=ReminderStatus.PENDING, claimed_by="", attempts=0, last_error="", created_at=now, updated_at=now
    )
    rows = [dict(key=r.key, kind=r.kind, subject=r.subject, due_at=r.due_at, **fresh) for r in new]
    # the rows as parameters of one prepared statement (sent as one multi-row INSERT): values written into the
    # statement itself would make SQLAlchemy build and compile it anew on every call
    return set(s.execute(_SCHEDULE[s.get_bind().dialect.name], rows).scalars())


def _insert_new(insert: Callable[[Table], postgresql.Insert | sqlite.Insert]) -> ReturningInsert[str]:
    table = cast(Table, ReminderRow.__table__)
    return insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.key)


_SCHEDULE = {"postgresql": _insert_new(postgresql.insert), "sqlite": _insert_new(sqlite.insert)}


def claim_due(db: Database, *, now: datetime, owner: str, limit: int = 100, lease: timedelta = LEASE) -> list[Reminder]:
    """Claim up to `limit` reminders that are due (or whose claim expired), oldest first."""
    due = or_(
        and_(ReminderRow.status == ReminderStatus.PENDING, ReminderRow.due_at <= now),
        and_(ReminderRow.status == ReminderStatus.CLAIMED, ReminderRow.claim_expires_at <= now),
    )
    # SQLite ignores FOR UPDATE; its BEGIN IMMEDIATE write transaction already admits one claimer at a time
    ids = select(ReminderRow.id).where(due).order_by(ReminderRow.due_at, ReminderRow.id).limit(limit)
    ids = ids.with_for_update(skip_locked=True)
    stmt = (
        update(ReminderRow)
        .where(ReminderRow.id.in_(ids.scalar_subquery()))
        .values(
            status=ReminderStatus.CLAIMED, claimed_by=owner, claim_expires_at=now + lease,
            attempts=ReminderRow.attempts + 1, updated_at=now,
        )
        .returning(ReminderRow)
        .execution_options(synchronize_session=False)
    )
    with db.session(write=True) as s:
        rows = list(s.scalars(stmt))
    return sorted((_reminder(r) for r in rows), key=lambda r: (r.due_at, r.id))


def finish(db: Database, reminder: Reminder, *, now: datetime, status: ReminderStatus = ReminderStatus.SENT) -> bool:
    """Mark a claimed reminder sent (or cancelled: nothing to say any more); False when the claim was lost."""
    with db.session(write=True) as s:
        done = s.execute(
            update(ReminderRow)
            .where(_held(reminder))
            .values(status=status, claim_expires_at=None, last_error="", updated_at=now)
        )
    return bool(getattr(done, "rowcount", 0))


def retry_later(db: Database, reminder: Reminder, *, now: datetime, retry_at: datetime, error: str) -> bool:
    """Give a claimed reminder back after a failure: due again at `retry_at`."""
    with db.session(write=True) as s:
        done = s.execute(
            update(ReminderRow)
            .where(_held(reminder))
            .values(
                status=ReminderStatus.PENDING, due_at=retry_at, claim_expires_at=None, claimed_by="",
                last_error=error[:MAX_ERROR], updated_at=now,
            )
        )
    return bool(getattr(done, "rowcount", 0))


def _held(reminder: Reminder):  # type: ignore[no-untyped-def]
    return and_(
        ReminderRow.id == reminder.id,
        ReminderRow.status == ReminderStatus.CLAIMED,
        ReminderRow.attempts == reminder.attempt,
    )


def cancel(s: Session, *, subject: str, kinds: Iterable[str] | None = None, now: datetime, claimed: bool = True) -> int:
    """Cancel what is still to come for `subject` (a case received, closed or voided says nothing more).
    `claimed=False` leaves rows being worked on alone: the holder finishes its own row (a tick's step that itself
    makes the change, like finishing a resumed return)."""
    statuses = (ReminderStatus.PENDING, ReminderStatus.CLAIMED) if claimed else (ReminderStatus.PENDING,)
    stmt = update(ReminderRow).where(ReminderRow.subject == subject, ReminderRow.status.in_(statuses))
    if kinds is not None:
        stmt = stmt.where(ReminderRow.kind.in_(list(kinds)))
    result = s.execute(stmt.values(status=ReminderStatus.CANCELLED, claim_expires_at=None, updated_at=now))
    return int(getattr(result, "rowcount", 0))


def postpone(s: Session, *, subject: str, kinds: Sequence[str], until: datetime, now: datetime) -> int:
    """Nothing pending for `subject` comes before `until` (a snooze); what is already claimed is being sent."""
    result = s.execute(
        update(ReminderRow)
        .where(
            ReminderRow.subject == subject,
            ReminderRow.kind.in_(list(kinds)),
            ReminderRow.status == ReminderStatus.PENDING,
            ReminderRow.due_at < until,
        )
        .values(due_at=until, updated_at=now)
    )
    return int(getattr(result, "rowcount", 0))


def pending_for(db: Database, subject: str) -> list[Reminder]:
    with db.session() as s:
        rows = s.scalars(
            select(ReminderRow)
            .where(ReminderRow.subject == subject, ReminderRow.status == ReminderStatus.PENDING)
            .order_by(ReminderRow.due_at)
        )
        return [_reminder(r) for r in rows]


def by_key(db: Database, key: str) -> Reminder | None:
    with db.session() as s:
        row = s.scalar(select(ReminderRow).where(ReminderRow.key == key))
        return None if row is None else _reminder(row)
