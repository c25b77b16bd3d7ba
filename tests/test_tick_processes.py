"""Real processes: two instances ticking the same minute send each reminder once, and work a process killed with -9
left behind (a claimed reminder, a refund approved or being refunded, a return half finished) is done once by the
next tick after its lease. Processes synchronise on events, never on sleeps; time is injected."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from commands import refund_decisions, returns
from commands import tick as ticks
from commands.services import Services
from domain.refunds import RefundStatus
from storage import refunds, reminders
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.models import TransactionRow
from tests.conftest import _reset_pg
from tests.lifecycle_env import (
    SETTINGS,
    T0,
    RecordingNotifier,
    bulk_cases,
    clock_of,
    label_return,
    logged,
    make_services,
    refund_draft,
)

SPAWN = multiprocessing.get_context("spawn")
WAIT = 120  # seconds an event may take to come: a generous bound, never a pause


def _services(url: str, tmp_path: str, now: str) -> Services:
    db = Database(make_engine(url))
    settings = replace(SETTINGS, customer_reminder=False)
    return make_services(db, Path(tmp_path), start=datetime.fromisoformat(now), settings=settings, seed=False)


def tick_at(services: Services, notifier: RecordingNotifier, moment: datetime) -> ticks.TickReport:
    """One tick in this process at `moment` (the services' clock moved there first: leases are read from it)."""
    clock = clock_of(services)
    clock.advance(moment - clock())
    return ticks.tick(services, notifier, now=moment, owner="next")


def _child(target: Any, *args: Any) -> Any:
    process = SPAWN.Process(target=target, args=args, daemon=True)
    process.start()
    return process


def _killed(process: Any) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=WAIT)
    assert process.exitcode == -signal.SIGKILL


# -- two instances --------------------------------------------------------------------------------------------


def _tick_in_process(url: str, tmp_path: str, now: str, owner: str, log: str, barrier: Any, out: Any) -> None:
    services = _services(url, tmp_path, now)
    notifier = RecordingNotifier(log=Path(log))
    barrier.wait()
    report = ticks.tick(services, notifier, now=services.clock(), owner=owner, batch=7)
    out.put((owner, report.reminders, report.errors))
    services.db.dispose()


@pytest.mark.postgres
def test_two_processes_ticking_the_same_minute_send_each_of_200_once(pg_url: str, tmp_path: Path) -> None:
    _reset_pg(pg_url)
    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    db = Database(make_engine(pg_url))
    rmas = bulk_cases(db, 200, at=T0, due_at=T0 + timedelta(days=14))
    now = (T0 + timedelta(days=14, seconds=30)).isoformat()
    log = tmp_path / "notified.jsonl"
    barrier, out = SPAWN.Barrier(2), SPAWN.Queue()
    procs = [_child(_tick_in_process, pg_url, str(tmp_path), now, f"p{i}", str(log), barrier, out) for i in range(2)]
    results = [out.get(timeout=WAIT) for _ in procs]
    for p in procs:
        p.join(timeout=WAIT)
        assert p.exitcode == 0
    sent = Counter(entry["about"] for entry in logged(log) if entry["method"] == "reminder")
    assert sorted(sent) == sorted(rmas) and set(sent.values()) == {1}  # every one, none twice
    assert sum(r[1] for r in results) == 200 and all(r[2] == 0 for r in results)
    assert all(r.status is reminders.ReminderStatus.SENT for r in (reminders.by_key(db, f"reminder:{x}") for x in rmas)
               if r is not None)  # fmt: skip
    db.dispose()


# -- killed between claim and send, and between send and finish -----------------------------------------------


class _Stuck(RecordingNotifier):
    """Says that it was reached, then never returns: the process is killed there."""

    def __init__(self, reached: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reached = reached

    def reminder(self, case: Any, *, customer_emailed_to: str | None) -> None:
        self.reached.set()
        multiprocessing.Event().wait()


def _claim_then_hang(url: str, tmp_path: str, now: str, reached: Any) -> None:
    services = _services(url, tmp_path, now)
    ticks.tick(services, _Stuck(reached), now=services.clock(), owner="doomed")


def _send_then_hang(url: str, tmp_path: str, now: str, log: str, reached: Any) -> None:
    def hang(*_args: Any, **_kwargs: Any) -> bool:
        reached.set()
        multiprocessing.Event().wait()
        return False

    reminders.finish = hang  # the reminder is sent; the process dies before it is marked so
    services = _services(url, tmp_path, now)
    ticks.tick(services, RecordingNotifier(log=Path(log)), now=services.clock(), owner="doomed")


@pytest.mark.parametrize("when", ["before the send", "after the send"])
def test_a_process_killed_holding_a_claim_leaves_it_to_be_sent_once_after_the_lease(
    db_url: str, tmp_path: Path, when: str
) -> None:
    services = _services(db_url, str(tmp_path), T0.isoformat())
    [rma] = bulk_cases(services.db, 1, at=T0, due_at=T0 + timedelta(days=14))
    now = T0 + timedelta(days=14, minutes=1)
    log = tmp_path / "notified.jsonl"
    reached = SPAWN.Event()
    if when == "before the send":
        child = _child(_claim_then_hang, db_url, str(tmp_path), now.isoformat(), reached)
    else:
        child = _child(_send_then_hang, db_url, str(tmp_path), now.isoformat(), str(log), reached)
    assert reached.wait(timeout=WAIT)
    _killed(child)
    notifier = RecordingNotifier(log=log)
    held = reminders.by_key(services.db, f"reminder:{rma}")
    assert held is not None and held.status is reminders.ReminderStatus.CLAIMED and held.claimed_by == "doomed"
    assert tick_at(services, notifier, now + timedelta(minutes=4)) == ticks.TickReport()
    report = tick_at(services, notifier, now + timedelta(minutes=6))
    assert [e["about"] for e in logged(log) if e["method"] == "reminder"] == [rma]  # sent once, by one of them
    assert report.reminders == 1
    done = reminders.by_key(services.db, f"reminder:{rma}")
    assert done is not None and done.status is reminders.ReminderStatus.SENT and done.attempt == 2
    services.db.dispose()


# -- refunds and returns a killed process left -------------------------------------------------------------------


def _approve_then_die(url: str, tmp_path: str, now: str, request_id: int) -> None:
    services = _services(url, tmp_path, now)
    refunds.approve(services.db, request_id, approver="U_LEAD", at=services.clock())
    os.kill(os.getpid(), signal.SIGKILL)  # between the approval and the refund


class _HangsAfterRefunding:
    """The store refunds, then the answer never comes back: the process is killed waiting for it."""

    def __init__(self, inner: Any, reached: Any) -> None:
        self.inner, self.reached = inner, reached

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def create_refund(self, plan: Any, *, idempotency_key: str) -> Any:
        self.inner.create_refund(plan, idempotency_key=idempotency_key)
        self.reached.set()
        multiprocessing.Event().wait()


def _refund_then_hang(url: str, tmp_path: str, now: str, request_id: int, reached: Any) -> None:
    services = _services(url, tmp_path, now)
    services.store = _HangsAfterRefunding(services.store, reached)
    refund_decisions.execute(services, request_id, actor="U_LEAD")


@pytest.mark.parametrize("left", ["approved", "executing"])
def test_a_refund_a_killed_process_left_is_refunded_once_by_the_next_tick(
    db_url: str, tmp_path: Path, left: str
) -> None:
    services = _services(db_url, str(tmp_path), T0.isoformat())
    make_services(services.db, tmp_path)  # the demo orders
    request = refunds.create(services.db, refund_draft(services), requested_by="U_AGENT", at=T0)
    if left == "approved":
        child = _child(_approve_then_die, db_url, str(tmp_path), T0.isoformat(), request.id)
        child.join(timeout=WAIT)
        assert child.exitcode == -signal.SIGKILL
    else:
        refunds.approve(services.db, request.id, approver="U_LEAD", at=T0)
        reached = SPAWN.Event()
        child = _child(_refund_then_hang, db_url, str(tmp_path), T0.isoformat(), request.id, reached)
        assert reached.wait(timeout=WAIT)
        _killed(child)
    assert refunds.get(services.db, request.id).status is RefundStatus(left)
    notifier = RecordingNotifier()
    assert tick_at(services, notifier, T0 + timedelta(minutes=4)) == ticks.TickReport()
    assert tick_at(services, notifier, T0 + timedelta(minutes=6)) == ticks.TickReport(recovered=1)
    done = refunds.get(services.db, request.id)
    assert done.status is RefundStatus.SUCCEEDED and done.attempts == (1 if left == "approved" else 2)
    with services.db.session() as s:
        refunded = s.scalar(
            select(func.count())
            .select_from(TransactionRow)
            .where(TransactionRow.idempotency_key == done.idempotency_key)
        )
    assert refunded == 1  # the same key on the retry: the store refunded once
    assert notifier.calls == [("refund_recovered", str(request.id))]
    services.db.dispose()


def _label_then_die(url: str, tmp_path: str, now: str) -> None:
    services = _services(url, tmp_path, now)
    label_return(services, finished=False)  # the label is made; the PDF upload and e-mail never happen
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_return_whose_finishing_steps_a_killed_process_left_is_finished_once(db_url: str, tmp_path: Path) -> None:
    services = _services(db_url, str(tmp_path), T0.isoformat())
    make_services(services.db, tmp_path)  # the demo orders
    child = _child(_label_then_die, db_url, str(tmp_path), T0.isoformat())
    child.join(timeout=WAIT)
    assert child.exitcode == -signal.SIGKILL
    [case] = returns.cases_for_order(services.db, "1")
    assert case.finished_at is None
    notifier = RecordingNotifier()
    assert tick_at(services, notifier, T0 + timedelta(minutes=9)) == ticks.TickReport()
    assert tick_at(services, notifier, T0 + timedelta(minutes=11)) == ticks.TickReport(recovered=1)
    assert tick_at(services, notifier, T0 + timedelta(minutes=30)) == ticks.TickReport()
    assert notifier.calls == [("resume_return", case.rma)]
    assert returns.get_case(services.db, case.rma).finished_at is not None
    services.db.dispose()
