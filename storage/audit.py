"""Append-only audit events, written in the same transaction as the change they describe."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEventRow

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
