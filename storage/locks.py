"""Serialising writers that decide from what they read (e.g. "is this item already in a return?")."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_for_transaction(session: Session, key: str) -> None:
    """Hold `key` until the transaction ends, across every instance.

    PostgreSQL: a transaction-level advisory lock (READ COMMITTED alone lets two writers both read
    "nothing there yet"). SQLite: nothing to do, the write transaction (BEGIN IMMEDIATE) is exclusive.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
