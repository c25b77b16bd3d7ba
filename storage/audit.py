"""Append-only audit events, written in the same transaction as the change they describe."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEventRow

SECRET_WORDS = ("token", "secret", "password", "authorization")


def record(session: Session, *, at: datetime, actor: str, action: str, subject: str, **details: Any) -> None:
    """Add an event to `session`. Details never carry credentials: such keys are refused outright."""
    leaked = [k for k in details if any(word in k.lower() for word in SECRET_WORDS)]
    if leaked:
        raise ValueError(f"audit details must not carry credentials: {leaked}")
    session.add(AuditEventRow(at=at, actor=actor, action=action, subject=subject, details=details))


def events_for(session: Session, subject: str) -> Sequence[AuditEventRow]:
    stmt = select(AuditEventRow).where(AuditEventRow.subject == subject).order_by(AuditEventRow.at, AuditEventRow.id)
    return session.scalars(stmt).all()
