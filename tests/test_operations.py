"""Once-only operations and audit events, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage import audit
from storage.db import Database
from storage.models import OperationRow
from storage.operations import LEASE, OperationInProgress, OperationMismatch, request_hash, run_once

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def at(t: datetime = T0):
    return lambda: t


def test_a_repeat_returns_the_stored_result_without_running(db: Database) -> None:
    calls: list[int] = []

    def label() -> dict:
        calls.append(1)
        return {"tracking": "RB123", "amount": "12.50"}

    first = run_once(db, "label:R1001-1", "label", label, now=at(), request={"rma": "R1001-1"})
    second = run_once(db, "label:R1001-1", "label", label, now=at(), request={"rma": "R1001-1"})
    assert first.ran and not second.ran
    assert second.result == {"tracking": "RB123", "amount": "12.50"}
    assert calls == [1]


def test_concurrent_callers_run_the_action_once(db: Database) -> None:
    gate = threading.Event()
    runs: list[int] = []
    outcomes: list[str] = []

    def slow() -> dict:
        runs.append(1)
        gate.wait(5)
        return {"ok": True}

    def caller() -> None:
        try:
            run_once(db, "refund:42", "refund", slow, now=at())
            outcomes.append("ran-or-stored")
        except OperationInProgress:
            outcomes.append("busy")

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for t in threads:
        t.start()
    while not runs:
        threading.Event().wait(0.01)
    gate.set()
    for t in threads:
        t.join()
    assert runs == [1]
    assert outcomes.count("ran-or-stored") >= 1
    assert len(outcomes) == 6


def test_a_failed_attempt_can_be_retried_with_the_same_key(db: Database) -> None:
    def boom() -> dict:
        raise TimeoutError("carrier timed out")

    with pytest.raises(TimeoutError):
        run_once(db, "label:R2", "label", boom, now=at())
    retry = run_once(db, "label:R2", "label", lambda: {"tracking": "X"}, now=at())
    assert retry.ran and retry.result == {"tracking": "X"}


def test_an_interrupted_attempt_is_recorded_and_can_be_retried(db: Database) -> None:
    with pytest.raises(KeyboardInterrupt):
        run_once(db, "mail:1", "email", lambda: (_ for _ in ()).throw(KeyboardInterrupt()), now=at())
    assert run_once(db, "mail:1", "email", lambda: {"sent": 1}, now=at()).ran


def test_a_claim_whose_holder_was_killed_is_taken_over_after_the_lease(db: Database) -> None:
    # a process killed mid-action leaves its claim "running" with a lease, and nothing else
    with db.session(write=True) as s:
        s.add(
            OperationRow(
                key="label:R9", kind="label", status="running", request_hash=request_hash({}), result=None,
                error="", attempts=1, locked_until=T0 + LEASE, created_at=T0, updated_at=T0,
            )
        )  # fmt: skip
    with pytest.raises(OperationInProgress):
        run_once(db, "label:R9", "label", lambda: {"n": 1}, now=at(T0 + timedelta(minutes=1)))
    later = run_once(db, "label:R9", "label", lambda: {"n": 2}, now=at(T0 + LEASE))
    assert later.ran and later.result == {"n": 2}
    with db.session() as s:
        assert s.scalar(select(OperationRow.attempts).where(OperationRow.key == "label:R9")) == 2


def test_a_running_claim_blocks_until_its_lease_ends(db: Database) -> None:
    started = threading.Event()
    release = threading.Event()

    def holder() -> None:
        run_once(db, "order:9", "draft", lambda: (started.set(), release.wait(5), {"id": 1})[2], now=at())

    thread = threading.Thread(target=holder)
    thread.start()
    started.wait(5)
    with pytest.raises(OperationInProgress):
        run_once(db, "order:9", "draft", lambda: {"id": 2}, now=at(T0 + LEASE - timedelta(seconds=1)))
    release.set()
    thread.join()
    assert run_once(db, "order:9", "draft", lambda: {"id": 3}, now=at()).result == {"id": 1}


def test_the_same_key_for_a_different_request_is_refused(db: Database) -> None:
    run_once(db, "refund:7", "refund", lambda: {}, now=at(), request={"amount": "10.00"})
    with pytest.raises(OperationMismatch):
        run_once(db, "refund:7", "refund", lambda: {}, now=at(), request={"amount": "99.00"})


def test_audit_events_are_kept_in_order_and_refuse_credentials(db: Database) -> None:
    with db.session(write=True) as s:
        audit.record(s, at=T0, actor="U1", action="order.viewed", subject="order:#1001", channel="C1")
        audit.record(s, at=T0 + timedelta(seconds=1), actor="U2", action="order.viewed", subject="order:#1001")
        with pytest.raises(ValueError, match="credentials"):
            audit.record(s, at=T0, actor="U1", action="x", subject="order:#1001", access_token="shpat_x")
    with db.session() as s:
        events = audit.events_for(s, "order:#1001")
        assert [(e.actor, e.action) for e in events] == [("U1", "order.viewed"), ("U2", "order.viewed")]
        assert events[0].details == {"channel": "C1"}
        assert events[0].at == T0


def test_the_claims_own_write_is_made_with_the_key_and_only_with_it(db: Database) -> None:
    def note(action: str):
        return lambda s: audit.record(s, at=T0, actor="bot", action=action, subject="label:R5")

    def claimed() -> list[str]:
        with db.session() as s:
            return [e.action for e in audit.events_for(s, "label:R5")]

    def boom() -> dict:
        raise TimeoutError("carrier timed out")

    with pytest.raises(TimeoutError):
        run_once(db, "label:R5", "label", boom, now=at(), on_claim=note("first"))
    run_once(db, "label:R5", "label", lambda: {"n": 1}, now=at(), on_claim=note("taken over"))
    stored = run_once(db, "label:R5", "label", lambda: {"n": 2}, now=at(), on_claim=note("stored"))
    assert not stored.ran and claimed() == ["first", "taken over"]  # a stored result claims nothing


def test_a_claim_whose_own_write_fails_is_not_taken(db: Database) -> None:
    def refuse(_s: object) -> None:
        raise LookupError("R6")

    with pytest.raises(LookupError):
        run_once(db, "label:R6", "label", lambda: {"n": 1}, now=at(), on_claim=refuse)
    with db.session() as s:
        assert s.scalar(select(OperationRow).where(OperationRow.key == "label:R6")) is None
    assert run_once(db, "label:R6", "label", lambda: {"n": 2}, now=at()).result == {"n": 2}
