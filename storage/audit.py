"""Append-only audit events, written in the same transaction as the change they describe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from domain.vocabulary import ReturnStatus
from storage.models import AuditEventRow, ReturnCaseRow

UNKNOWN_ACTOR = "-"  # return cases keep who asked for them, not who changed them since
SECRET_WORDS = ("token", "secret", "password", "authorization")
ORDER_SUBJECT = "order:"  # subjects like "order:#1001" name the order themselves
MAX_ORDER_NAME = 64  # audit_events.order_name


def record(session: Session, *, at: datetime, actor: str, action: str, subject: str, **details: Any) -> None:
    """Add an event to `session`. Details never carry credentials: such keys are refused outright."""
    leaked = [k for k in details if any(word in k.lower() for word in SECRET_WORDS)]
    if leaked:
        raise ValueError(f"audit details must not carry credentials: {leaked}")
    session.add(
        AuditEventRow(
            at=at, actor=actor, action=action, subject=subject, details=details,
            order_name=order_of(subject, details),
        )
    )  # fmt: skip


def order_of(subject: str, details: dict[str, Any]) -> str | None:
    """The order an event is about: its `order` detail (refund events carry the order's name there), else an
    "order:" subject. Kept in its own indexed column, so that an order's history is one index lookup on
    SQLite and PostgreSQL alike; the JSON details could only be searched with different SQL on each."""
    order = details.get("order")
    if isinstance(order, str) and order.strip():
        return order.strip()[:MAX_ORDER_NAME]
    if subject.startswith(ORDER_SUBJECT) and subject[len(ORDER_SUBJECT) :].strip():
        return subject[len(ORDER_SUBJECT) :].strip()[:MAX_ORDER_NAME]
    return None


def events_for(session: Session, subject: str) -> Sequence[AuditEventRow]:
    stmt = select(AuditEventRow).where(AuditEventRow.subject == subject).order_by(AuditEventRow.at, AuditEventRow.id)
    return session.scalars(stmt).all()


def events_for_order(session: Session, order_name: str) -> Sequence[AuditEventRow]:
    """Every event about the order named `order_name` ("#1001"), whatever its subject, oldest first."""
    stmt = (
        select(AuditEventRow).where(AuditEventRow.order_name == order_name).order_by(AuditEventRow.at, AuditEventRow.id)
    )
    return session.scalars(stmt).all()


@dataclass(frozen=True)
class TrailEvent:
    """One line of an order's trail: an audit event, or what a return case and its labels record."""

    at: datetime
    actor: str  # a Slack user id, "system", or UNKNOWN_ACTOR
    action: str
    subject: str
    details: dict[str, Any] = field(default_factory=dict)


def order_trail(session: Session, order_name: str) -> list[TrailEvent]:
    """What happened to the order named `order_name`, oldest first: its audit events and its returns.

    Returns are not written to the audit table (yet): their events are read from the return cases and
    labels themselves, so the trail leaves nothing out. A change after the case was opened shows at the
    row's last update, by an actor the table does not keep."""
    events = [
        TrailEvent(e.at, e.actor, e.action, e.subject, dict(e.details or {}))
        for e in events_for_order(session, order_name)
    ]
    events.extend(return_events(session, order_name))
    return sorted(events, key=lambda e: e.at)  # stable: audit events keep their own order at equal times


def return_events(session: Session, order_name: str) -> list[TrailEvent]:
    stmt = (
        select(ReturnCaseRow)
        .where(ReturnCaseRow.order_name == order_name)
        .options(selectinload(ReturnCaseRow.labels))
        .order_by(ReturnCaseRow.created_at, ReturnCaseRow.id)
    )
    events: list[TrailEvent] = []
    for case in session.scalars(stmt):
        subject = f"return:{case.rma}"
        items = sum(int(item.get("quantity") or 0) for item in case.items or [])
        events.append(
            TrailEvent(case.created_at, case.requested_by, "return.requested", subject,
                       {"items": items, "delivery": case.delivery, "status_now": case.status})
        )  # fmt: skip
        for label in case.labels:
            about = {"return": case.rma, "carrier": label.carrier, "tracking": label.tracking_number}
            events.append(TrailEvent(label.created_at, "system", "label.created", f"label:{label.id}", about))
            if label.status != "created":
                events.append(TrailEvent(label.updated_at, UNKNOWN_ACTOR, f"label.{label.status}", f"label:{label.id}",
                                         {"return": case.rma}))  # fmt: skip
        # the lifecycle's transitions (in transit, received, closed, resolved, expired) are audit events of their
        # own; only a cancellation (the label voided) is known from the row alone
        if case.status == ReturnStatus.CANCELLED:
            events.append(TrailEvent(case.updated_at, UNKNOWN_ACTOR, f"return.{case.status}", subject))
    return events
