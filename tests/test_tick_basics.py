"""One tick at a time, time injected: what is due is said once, nothing about cases that are over or snoozed, the
digest once a day and never empty, carrier scans move returns on, failures are retried, a database outage is
only logged, and work a stopped instance left is finished."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from commands import return_lifecycle as rl
from commands import returns
from commands import tick as ticks
from commands.services import Services
from domain.refunds import RefundStatus
from domain.vocabulary import LabelStatus, ReturnStatus
from storage import carrier_scans, refunds
from storage.db import Database, make_engine
from storage.models import OperationRow
from tests.lifecycle_env import SETTINGS, RecordingNotifier, clock_of, label_return, make_services, refund_draft


@pytest.fixture
def services(db: Database, tmp_path: Path) -> Services:
    return make_services(db, tmp_path)


def run(services: Services, notifier: RecordingNotifier, *, owner: str = "one") -> ticks.TickReport:
    return ticks.tick(services, notifier, now=services.clock(), owner=owner)


def later(services: Services, **delta: float) -> None:
    clock_of(services).advance(timedelta(**delta))


def emails(tmp_path: Path) -> int:
    return len(list((tmp_path / "outbox").glob("*.eml")))


def test_reminder_escalation_and_expiry_come_once_each_on_their_days(services: Services, tmp_path: Path) -> None:
    notifier = RecordingNotifier()
    rma = label_return(services)
    assert run(services, notifier) == ticks.TickReport()
    later(services, days=13, hours=23)
    assert run(services, notifier) == ticks.TickReport()
    later(services, hours=1)
    assert run(services, notifier) == ticks.TickReport(reminders=1)
    assert run(services, notifier) == ticks.TickReport()  # said once
    assert emails(tmp_path) == 1  # the customer's reminder, the label attached again
    later(services, days=7)
    assert run(services, notifier) == ticks.TickReport(escalations=1)
    later(services, days=9)
    assert run(services, notifier) == ticks.TickReport(expired=1)
    assert notifier.calls == [("reminder", rma), ("escalation", rma), ("expired", rma)]
    case = returns.get_case(services.db, rma)
    assert case.status is ReturnStatus.EXPIRED
    expired = returns.get_case(services.db, rma)
    assert expired.label is None  # voided: the local carrier voids at once
    later(services, days=30)
    assert run(services, notifier) == ticks.TickReport()



def test_a_case_whose_reminder_escalation_and_expiry_fall_due_together_gets_them_in_that_order(
    services: Services,
) -> None:
    # the bot was down for a month: every case's three rows are due in one tick, done on several threads
    notifier = RecordingNotifier()
    rmas = [label_return(services, order) for order in ("#1001", "#1005", "#1002")]
    later(services, days=30, minutes=1)
    assert ticks.tick(services, notifier, now=services.clock(), owner="one", workers=4) == ticks.TickReport(
        reminders=3, escalations=3, expired=3
    )
    for rma in rmas:
        assert [method for method, about in notifier.calls if about == rma] == ["reminder", "escalation", "expired"]

def test_without_customer_reminders_only_the_thread_hears(db: Database, tmp_path: Path) -> None:
    services = make_services(db, tmp_path, settings=replace(SETTINGS, customer_reminder=False))
    notifier = RecordingNotifier()
    label_return(services)
    later(services, days=14)
    assert run(services, notifier).reminders == 1
    assert emails(tmp_path) == 0


@pytest.mark.parametrize("how", ["received", "kept", "voided"])
def test_nothing_is_sent_about_a_case_that_is_over(services: Services, how: str) -> None:
    notifier = RecordingNotifier()
    rma = label_return(services)
    later(services, days=3)
    if how == "received":
        rl.receive(services, rma, "U_WAREHOUSE", rl.full_receipt(returns.get_case(services.db, rma)))
    elif how == "kept":
        rl.close_kept(services, rma, "U_LEAD")
    else:
        returns.void_label(services, rma, "U_AGENT")
    for _ in range(4):
        later(services, days=10)
        run(services, notifier)
    assert notifier.calls == []


def test_a_snoozed_case_is_quiet_until_the_snooze_ends(services: Services) -> None:
    notifier = RecordingNotifier()
    rma = label_return(services)
    later(services, days=14)
    assert run(services, notifier).reminders == 1
    rl.snooze(services, rma, "U_AGENT", days=7)  # from the reminder's own button
    later(services, days=6, hours=23)
    assert run(services, notifier) == ticks.TickReport()  # day 21: the escalation waits for the snooze
    later(services, hours=1)
    assert run(services, notifier) == ticks.TickReport(reminders=1, escalations=1)
    assert sorted(notifier.calls) == [("escalation", rma), ("reminder", rma), ("reminder", rma)]


def test_a_failed_message_is_tried_again_later_and_the_customer_mailed_once(services: Services, tmp_path: Path) -> None:
    notifier = RecordingNotifier(fail={"reminder"})
    rma = label_return(services)
    later(services, days=14)
    assert run(services, notifier) == ticks.TickReport(errors=1)
    notifier.fail.clear()
    later(services, minutes=4)
    assert run(services, notifier) == ticks.TickReport()  # not yet: retried after 5 minutes
    later(services, minutes=1)
    assert run(services, notifier) == ticks.TickReport(reminders=1)
    assert notifier.named("reminder") == [rma]
    assert emails(tmp_path) == 1  # the e-mail went out the first time, and was not sent again


def test_the_digest_once_a_day_at_its_time_and_never_empty(db: Database, tmp_path: Path) -> None:
    settings = replace(SETTINGS, digest_channel="C_DIGEST", digest_time=time(9, 0))
    # 08:30 in Helsinki on Tuesday 3 November
    services = make_services(db, tmp_path, settings=settings, start=datetime(2026, 11, 3, 6, 30, tzinfo=UTC))
    notifier = RecordingNotifier()
    assert run(services, notifier) == ticks.TickReport()  # nothing open: yesterday's digest would be empty
    rma = label_return(services)
    later(services, minutes=20)
    assert run(services, notifier) == ticks.TickReport()  # 08:50: not yet
    later(services, minutes=10)
    assert run(services, notifier) == ticks.TickReport(digests=1)  # 09:00
    later(services, hours=5)
    assert run(services, notifier) == ticks.TickReport()  # once a day
    [digest] = notifier.digests
    assert digest.day == date(2026, 11, 3) and [c.rma for c in digest.open_cases] == [rma]
    assert digest.overdue == () and digest.open_total == 1 and not digest.empty
    assert notifier.calls[-1] == ("digest", "2026-11-03")
    later(services, days=20)  # 14:00 on 23 November: that day's digest is due since 09:00
    assert run(services, notifier).digests == 1
    assert [c.rma for c in notifier.digests[-1].overdue] == [rma]


def test_the_digest_lists_refunds_waiting_and_received_returns(db: Database, tmp_path: Path) -> None:
    settings = replace(SETTINGS, digest_channel="C_DIGEST")
    services = make_services(db, tmp_path, settings=settings)
    rma = label_return(services)
    rl.receive(services, rma, "U_WAREHOUSE", rl.full_receipt(returns.get_case(services.db, rma)))
    request = refunds.create(services.db, refund_draft(services), requested_by="U_AGENT", at=services.clock())
    notifier = RecordingNotifier()
    later(services, days=1)
    assert run(services, notifier).digests == 1
    digest = notifier.digests[0]
    assert [c.rma for c in digest.received_unresolved] == [rma] and digest.open_cases == ()
    assert [(r.id, r.order_name, r.amount, r.requested_by) for r in digest.refunds_waiting] == [
        (request.id, "#1001", f"{request.amount} EUR", "U_AGENT")
    ]


def test_scans_move_the_return_on_and_delivered_receives_it_once(services: Services, tmp_path: Path) -> None:
    notifier = RecordingNotifier()
    rma = label_return(services)
    case = returns.get_case(services.db, rma)
    assert case.label is not None
    tracking = case.label.tracking_number
    assert carrier_scans.record(services.db, tracking, LabelStatus.IN_TRANSIT, at=services.clock())
    later(services, minutes=1)
    assert run(services, notifier) == ticks.TickReport()
    assert returns.get_case(services.db, rma).status is ReturnStatus.IN_TRANSIT
    later(services, days=2)
    carrier_scans.record(services.db, tracking, LabelStatus.DELIVERED, at=services.clock())
    assert run(services, notifier) == ticks.TickReport(received=1)
    received = returns.get_case(services.db, rma)
    assert received.status is ReturnStatus.RECEIVED and received.received_by == "carrier"
    assert [i["quantity"] for i in received.receipt] == [i["quantity"] for i in case.items]
    for _ in range(3):
        later(services, days=10)
        assert run(services, notifier) == ticks.TickReport()
    assert notifier.calls == [("received", rma)]
    assert emails(tmp_path) == 1  # "we received your return"
    assert not carrier_scans.record(services.db, "RB000000000FI", LabelStatus.DELIVERED, at=services.clock())


def test_a_tick_while_the_database_is_down_is_logged_and_the_next_goes_on(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = RecordingNotifier()
    rma = label_return(services)
    later(services, days=14)
    working = services.db
    services.db = Database(make_engine("postgresql+psycopg://returnbot@127.0.0.1:9/nothing_listens_here"))
    with caplog.at_level(logging.ERROR, logger="commands.tick"):
        report = run(services, notifier)
    assert report.errors >= 1 and report.reminders == 0
    assert any("could not send what is due" in r.getMessage() for r in caplog.records)
    services.db.dispose()
    services.db = working
    assert run(services, notifier) == ticks.TickReport(reminders=1)
    assert notifier.calls == [("reminder", rma)]


def test_a_return_whose_finishing_steps_never_ran_is_resumed_once(services: Services) -> None:
    notifier = RecordingNotifier()
    done = label_return(services, "#1002")
    stuck = label_return(services, finished=False)  # the instance stopped before the PDF and the e-mail
    later(services, minutes=9)
    assert run(services, notifier) == ticks.TickReport()  # it may still be at work
    later(services, minutes=2)
    assert run(services, notifier) == ticks.TickReport(recovered=1)
    assert notifier.calls == [("resume_return", stuck)]
    assert returns.get_case(services.db, stuck).finished_at is not None
    later(services, minutes=30)
    assert run(services, notifier) == ticks.TickReport()
    assert done not in notifier.named("resume_return")


def test_a_refund_left_approved_is_run_by_the_next_tick(services: Services) -> None:
    notifier = RecordingNotifier()
    request = refunds.create(services.db, refund_draft(services), requested_by="U_AGENT", at=services.clock(),
                             auto_approved=True)  # fmt: skip
    assert request.status is RefundStatus.APPROVED
    later(services, minutes=1)
    assert run(services, notifier) == ticks.TickReport()  # its own instance is about to run it
    later(services, minutes=5)
    assert run(services, notifier) == ticks.TickReport(recovered=1)
    assert refunds.get(services.db, request.id).status is RefundStatus.SUCCEEDED
    assert notifier.calls == [("refund_recovered", str(request.id))]
    later(services, minutes=10)
    assert run(services, notifier) == ticks.TickReport()


def test_a_received_return_is_resolved_by_the_refund_of_its_order(services: Services) -> None:
    rma = label_return(services)
    rl.receive(services, rma, "U_WAREHOUSE", rl.full_receipt(returns.get_case(services.db, rma)))
    request = refunds.create(services.db, refund_draft(services), requested_by="U_AGENT", at=services.clock(),
                             auto_approved=True)  # fmt: skip
    later(services, minutes=10)
    run(services, RecordingNotifier())
    assert refunds.get(services.db, request.id).status is RefundStatus.SUCCEEDED
    run(services, RecordingNotifier())
    resolved = returns.get_case(services.db, rma)
    assert (resolved.status, resolved.resolution) == (ReturnStatus.RESOLVED, "refund")


def test_operation_keys_keep_every_message_single(services: Services) -> None:
    label_return(services)
    later(services, days=31)
    notifier = RecordingNotifier()
    run(services, notifier)
    with services.db.session() as s:
        keys = sorted(s.scalars(select(OperationRow.key).where(OperationRow.kind == "notification")))
    assert [k.split(":")[1] for k in keys] == ["escalation", "expiry", "reminder"]
