"""Due reminders are claimed by one holder at a time, taken over when the holder dies, and sent once."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.reminders import (
    NewReminder,
    ReminderStatus,
    by_key,
    cancel,
    claim_due,
    finish,
    postpone,
    retry_later,
    schedule,
    schedule_many,
)
from tests.conftest import _reset_pg

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def add(db: Database, key: str, due: datetime, *, subject: str = "R1001-1", kind: str = "reminder") -> bool:
    with db.session(write=True) as s:
        return schedule(s, key=key, kind=kind, subject=subject, due_at=due, now=T0)


def test_a_key_is_scheduled_once(db: Database) -> None:
    assert add(db, "reminder:R1001-1:1", T0 + timedelta(days=14))
    assert not add(db, "reminder:R1001-1:1", T0 + timedelta(days=20))
    reminder = by_key(db, "reminder:R1001-1:1")
    assert reminder is not None and reminder.due_at == T0 + timedelta(days=14)


def test_several_are_scheduled_in_one_go_each_key_once(db: Database) -> None:
    add(db, "expiry:R1001-1", T0 + timedelta(days=30))
    new = [
        NewReminder("reminder:R1001-1", "reminder", "R1001-1", T0 + timedelta(days=14)),
        NewReminder("expiry:R1001-1", "expiry", "R1001-1", T0 + timedelta(days=60)),
        NewReminder("escalation:R1001-1", "escalation", "R1001-1", T0 + timedelta(days=21)),
    ]
    with db.session(write=True) as s:
        assert schedule_many(s, new, now=T0) == {"reminder:R1001-1", "escalation:R1001-1"}
        assert schedule_many(s, [], now=T0) == set()
    expiry = by_key(db, "expiry:R1001-1")
    assert expiry is not None and expiry.due_at == T0 + timedelta(days=30)  # the one there first is kept
    reminder = by_key(db, "reminder:R1001-1")
    assert reminder is not None and reminder.status is ReminderStatus.PENDING and reminder.kind == "reminder"


def test_only_what_is_due_is_claimed_oldest_first(db: Database) -> None:
    add(db, "b", T0 + timedelta(hours=2))
    add(db, "a", T0 + timedelta(hours=1))
    add(db, "later", T0 + timedelta(days=1))
    claimed = claim_due(db, now=T0 + timedelta(hours=3), owner="one")
    assert [r.key for r in claimed] == ["a", "b"]
    assert all(r.status is ReminderStatus.CLAIMED and r.attempt == 1 for r in claimed)
    assert claim_due(db, now=T0 + timedelta(hours=3), owner="two") == []


def test_an_expired_claim_is_taken_over_and_the_late_holder_is_fenced_out(db: Database) -> None:
    add(db, "k", T0)
    first = claim_due(db, now=T0, owner="dies", lease=timedelta(minutes=5))[0]
    assert claim_due(db, now=T0 + timedelta(minutes=4), owner="other") == []  # the lease still holds
    second = claim_due(db, now=T0 + timedelta(minutes=6), owner="other")[0]
    assert second.attempt == 2
    assert not finish(db, first, now=T0 + timedelta(minutes=7))  # too late: its claim was taken over
    assert finish(db, second, now=T0 + timedelta(minutes=7))
    done = by_key(db, "k")
    assert done is not None and done.status is ReminderStatus.SENT
    assert claim_due(db, now=T0 + timedelta(days=9), owner="any") == []


def test_a_failed_send_is_due_again_later(db: Database) -> None:
    add(db, "k", T0)
    held = claim_due(db, now=T0, owner="one")[0]
    assert retry_later(db, held, now=T0, retry_at=T0 + timedelta(minutes=10), error="Slack said ratelimited")
    assert claim_due(db, now=T0 + timedelta(minutes=5), owner="one") == []
    again = claim_due(db, now=T0 + timedelta(minutes=10), owner="one")
    assert [r.attempt for r in again] == [2]


def test_cancel_and_postpone_touch_only_the_subject(db: Database) -> None:
    add(db, "r1", T0, subject="R1")
    add(db, "e1", T0 + timedelta(days=7), subject="R1", kind="escalation")
    add(db, "r2", T0, subject="R2")
    with db.session(write=True) as s:
        assert postpone(s, subject="R2", kinds=["reminder"], until=T0 + timedelta(days=7), now=T0) == 1
        assert cancel(s, subject="R1", now=T0) == 2
    assert claim_due(db, now=T0 + timedelta(days=1), owner="x") == []
    assert [r.key for r in claim_due(db, now=T0 + timedelta(days=7), owner="x")] == ["r2"]


def test_threads_claiming_at_once_share_the_rows_out_exactly_once(db: Database) -> None:
    for n in range(200):
        add(db, f"k{n:03}", T0 + timedelta(seconds=n), subject=f"R{n}")
    seen: list[list[str]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def work(index: int) -> None:
        barrier.wait()
        while batch := claim_due(db, now=T0 + timedelta(hours=1), owner=f"t{index}", limit=7):
            seen[index] += [r.key for r in batch]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [key for keys in seen for key in keys]
    assert sorted(every) == [f"k{n:03}" for n in range(200)]  # each once, none twice


def _claim_in_process(url: str, owner: str, barrier: Any, out: Any) -> None:
    db = Database(make_engine(url))
    claimed: list[str] = []
    barrier.wait()
    while batch := claim_due(db, now=T0 + timedelta(hours=1), owner=owner, limit=9):
        claimed += [r.key for r in batch]
        for reminder in batch:
            finish(db, reminder, now=T0 + timedelta(hours=1))
    out.put(claimed)
    db.dispose()


@pytest.mark.postgres
def test_two_processes_on_postgresql_claim_each_reminder_once(pg_url: str) -> None:
    _reset_pg(pg_url)
    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    db = Database(make_engine(pg_url))
    for n in range(200):
        add(db, f"k{n:03}", T0 + timedelta(seconds=n), subject=f"R{n}")
    spawn = multiprocessing.get_context("spawn")
    barrier, out = spawn.Barrier(2), spawn.Queue()
    procs = [spawn.Process(target=_claim_in_process, args=(pg_url, f"p{i}", barrier, out)) for i in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    every = [key for keys in results for key in keys]
    assert sorted(every) == [f"k{n:03}" for n in range(200)]
    db.dispose()
