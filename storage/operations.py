"""Once-only side effects: every label, refund, e-mail or order the bot creates runs under a key.

`run_once(db, key, kind, action)` claims the key with an INSERT (the UNIQUE constraint decides which
caller wins, across threads and instances), runs the action, and stores its JSON result. A repeat
with the same key returns the stored result without running anything. A failed attempt may be run
again with the same key (the provider's own idempotency key is derived from it); a claim whose holder
died is taken over once its lease has run out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import OperationRow

LEASE = timedelta(minutes=5)

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"


class OperationInProgress(Exception):
    """Another caller holds the key right now (a double click, a second instance)."""


class _KeyExists(Exception):
    """The key's INSERT was refused: somebody has used the key before."""


class OperationMismatch(Exception):
    """The key was used before for a different request: a bug in how keys are made."""


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]
    ran: bool  # False: a stored result from an earlier call


def request_hash(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def run_once(
    db: Database,
    key: str,
    kind: str,
    action: Callable[[], dict[str, Any]],
    *,
    now: Callable[[], datetime],
    request: dict[str, Any] | None = None,
    on_claim: Callable[[Session], None] | None = None,
) -> Outcome:
    """`on_claim`: a write made in the very transaction that takes the key (not when a stored result is returned,
    nor when another caller holds the key): the key is never taken without it, nor it made without the key.
    Should it raise, the key is not taken and the action does not run."""
    digest = request_hash(request or {})
    stored = _claim(db, key, kind, digest, now(), on_claim)
    if stored is not None:
        return Outcome(stored, ran=False)
    try:
        result = action()
    except BaseException as exc:
        _finish(db, key, FAILED, None, f"{type(exc).__name__}: {exc}"[:2000], now())
        raise
    _finish(db, key, SUCCEEDED, result, "", now())
    return Outcome(result, ran=True)


def _claim(
    db: Database, key: str, kind: str, digest: str, at: datetime, on_claim: Callable[[Session], None] | None = None
) -> dict[str, Any] | None:
    """Take the key; the stored result when it already succeeded."""
    try:
        with db.session(write=True) as s:
            s.add(
                OperationRow(
                    key=key, kind=kind, status=RUNNING, request_hash=digest, result=None, error="", attempts=1,
                    locked_until=at + LEASE, created_at=at, updated_at=at,
                )
            )  # fmt: skip
            try:
                s.flush()  # the INSERT: the UNIQUE key decides here, before `on_claim` writes
            except IntegrityError as exc:
                raise _KeyExists from exc
            if on_claim is not None:
                on_claim(s)  # its own IntegrityError is its own: not taken for the key's
        return None
    except _KeyExists:
        pass
    with db.session(write=True) as s:
        row = s.scalar(select(OperationRow).where(OperationRow.key == key))
        if row is None:  # deleted in between: extremely unlikely, and safe to treat as busy
            raise OperationInProgress(key)
        if row.request_hash != digest:
            raise OperationMismatch(f"operation key {key!r} was used for a different request")
        if row.status == SUCCEEDED:
            return dict(row.result or {})
        lease_over = row.locked_until is None or row.locked_until <= at
        if row.status == RUNNING and not lease_over:
            raise OperationInProgress(key)
        # failed, or its holder vanished: take it over, unless someone else just did
        # an UPDATE runs on a cursor: its result has a rowcount, which Session.execute's return type does not say
        result = cast(
            "CursorResult[*tuple[Any, ...]]",
            s.execute(
                update(OperationRow)
                .where(
                    OperationRow.id == row.id, OperationRow.status == row.status, OperationRow.attempts == row.attempts
                )
                .values(status=RUNNING, attempts=row.attempts + 1, locked_until=at + LEASE, updated_at=at, error="")
            ),
        )
        taken = result.rowcount
        if taken != 1:
            raise OperationInProgress(key)
        if on_claim is not None:
            on_claim(s)
    return None


def _finish(db: Database, key: str, status: str, result: dict[str, Any] | None, error: str, at: datetime) -> None:
    with db.session(write=True) as s:
        s.execute(
            update(OperationRow)
            .where(OperationRow.key == key, OperationRow.status == RUNNING)
            .values(status=status, result=result, error=error, locked_until=None, updated_at=at)
        )
