"""Refund requests: the approval state machine, separation of duties, races and audit, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import update

from domain.refunds import RefundStatus, RestockType
from storage import audit, refunds
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.models import RefundRequestRow
from storage.refunds import Creation, Outcome, RefundDraft, RefundLine

R = TypeVar("R")
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
REQUESTER, LEAD, OTHER_LEAD = "U0REQUEST", "U0LEAD", "U0LEAD2"


def a_draft(**changes: Any) -> RefundDraft:
    draft = RefundDraft(
        store="shopify",
        order_id="gid://shopify/Order/1001",
        order_name="#1001",
        lines=(RefundLine("gid://shopify/LineItem/1", "Wool socks", 2),),
        shipping=Decimal("4.90"),
        restock=RestockType.RETURN,
        amount=Decimal("43.80"),
        currency="EUR",
        reason="damaged",
        note="Both pairs had holes",
    )
    return replace(draft, **changes)


def t(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def actions(db: Database, request_id: int) -> list[str]:
    with db.session() as s:
        return [e.action for e in audit.events_for(s, refunds.subject(request_id))]


def events(db: Database, request_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    with db.session() as s:
        return [(e.action, e.actor, dict(e.details)) for e in audit.events_for(s, refunds.subject(request_id))]


def approved_request(db: Database) -> refunds.RefundRequestView:
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))
    assert refunds.approve(db, request.id, approver=LEAD, at=t(1)).won
    return refunds.get(db, request.id)


# -- creating ----------------------------------------------------------------------------------------


def test_a_request_waits_for_approval_with_its_key_and_frozen_money(db: Database) -> None:
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0), slack_channel="C1", slack_thread_ts="1.2")

    stored = refunds.get(db, request.id)
    assert stored == request
    assert stored.status == RefundStatus.PENDING_APPROVAL
    assert (stored.decided_by, stored.decided_at, stored.attempts) == (None, None, 0)
    assert str(uuid.UUID(stored.idempotency_key)) == stored.idempotency_key
    assert (stored.amount, stored.shipping, stored.currency) == (Decimal("43.80"), Decimal("4.90"), "EUR")
    assert isinstance(stored.amount, Decimal)
    assert stored.lines == (RefundLine("gid://shopify/LineItem/1", "Wool socks", 2),)
    assert (stored.slack_channel, stored.slack_thread_ts) == ("C1", "1.2")
    assert events(db, request.id) == [
        (
            "refund.requested",
            REQUESTER,
            {"order": "#1001", "amount": "43.80", "currency": "EUR", "auto_approved": False},
        )
    ]


def test_every_request_gets_its_own_key(db: Database) -> None:
    keys = {refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0)).idempotency_key for _ in range(5)}
    assert len(keys) == 5


def test_sub_cent_amounts_survive_exactly(db: Database) -> None:
    request = refunds.create(
        db, a_draft(amount=Decimal("0.0001"), shipping=Decimal(0)), requested_by=REQUESTER, at=t(0)
    )
    assert refunds.get(db, request.id).amount == Decimal("0.0001")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"amount": 43.8}, TypeError),  # a float has already lost the cents
        ({"amount": Decimal("0")}, ValueError),
        ({"amount": Decimal("-1")}, ValueError),
        ({"amount": Decimal("NaN")}, ValueError),
        ({"amount": Decimal("1.00001")}, ValueError),  # NUMERIC(18, 4) would round it on PostgreSQL
        ({"shipping": Decimal("50")}, ValueError),
        ({"currency": "eur"}, ValueError),
        ({"restock": "LATER"}, ValueError),
        ({"store": "amazon"}, ValueError),
        ({"reason": " "}, ValueError),
        ({"lines": (RefundLine("1", "Socks", 0),)}, ValueError),
    ],
)
def test_a_draft_refuses_what_cannot_be_refunded(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        a_draft(**changes)


@pytest.mark.parametrize("who", ["", refunds.AUTO, refunds.SYSTEM])
def test_only_people_request_and_decide(db: Database, who: str) -> None:
    with pytest.raises(ValueError):
        refunds.create(db, a_draft(), requested_by=who, at=t(0))
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))
    with pytest.raises(ValueError):
        refunds.approve(db, request.id, approver=who, at=t(1))
    with pytest.raises(ValueError):
        refunds.reject(db, request.id, approver=who, reason="no", at=t(1))
    assert refunds.get(db, request.id).status == RefundStatus.PENDING_APPROVAL


def test_auto_approval_starts_approved_by_auto(db: Database) -> None:
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0), auto_approved=True)

    assert (request.status, request.decided_by, request.decided_at) == (RefundStatus.APPROVED, refunds.AUTO, t(0))
    assert request.auto_approved
    assert events(db, request.id) == [
        (
            "refund.requested",
            REQUESTER,
            {"order": "#1001", "amount": "43.80", "currency": "EUR", "auto_approved": True},
        ),
        ("refund.approved", refunds.AUTO, {"order": "#1001", "amount": "43.80", "currency": "EUR"}),
    ]
    start = refunds.start_execution(db, request.id, actor=REQUESTER, at=t(1))
    assert start.won and start.idempotency_key == request.idempotency_key


def test_an_unknown_request_is_an_error(db: Database) -> None:
    with pytest.raises(refunds.RefundRequestNotFound):
        refunds.get(db, 999)
    with pytest.raises(refunds.RefundRequestNotFound):
        refunds.approve(db, 999, approver=LEAD, at=t(1))


def test_an_amount_alone_is_a_request(db: Database) -> None:
    # goodwill or a price adjustment: no items, no shipping, the money refunded against the payment
    draft = a_draft(lines=(), shipping=Decimal(0), restock=RestockType.NO_RESTOCK, amount=Decimal("5.00"))
    request = refunds.create(db, draft, requested_by=REQUESTER, at=t(0))

    stored = refunds.get(db, request.id)
    assert (stored.lines, stored.shipping, stored.amount) == ((), Decimal(0), Decimal("5.00"))
    assert stored.amount_alone and stored.restock is RestockType.NO_RESTOCK


# -- one open request per order, and the auto-approve limit counted per order ------------------------

LIMIT = Decimal(50)


def a_49_90(**changes: Any) -> RefundDraft:
    return a_draft(amount=Decimal("49.90"), shipping=Decimal(0), **changes)


def test_an_order_has_one_open_request_at_a_time(db: Database) -> None:
    first = refunds.create_once(db, a_draft(), requested_by=REQUESTER, at=t(0), submission_key="one")
    second = refunds.create_once(db, a_draft(), requested_by=OTHER_LEAD, at=t(1), submission_key="two")

    assert first.outcome is Creation.CREATED
    assert second.outcome is Creation.BLOCKED and second.request == first.request  # the open one, to be shown
    other_order = a_draft(order_id="gid://shopify/Order/1002", order_name="#1002")
    assert refunds.create_once(db, other_order, requested_by=REQUESTER, at=t(2)).created
    # a team lead may add one beside it
    beside = refunds.create_once(db, a_draft(), requested_by=LEAD, at=t(3), alone=False)
    assert beside.created
    assert [r.id for r in refunds.open_for_order(db, "shopify", first.request.order_id)] == [
        first.request.id, beside.request.id,
    ]  # fmt: skip

    # approved and being refunded are still open; rejected, refunded and failed are not
    assert refunds.approve(db, first.request.id, approver=LEAD, at=t(4)).won
    assert refunds.reject(db, beside.request.id, approver=OTHER_LEAD, reason="twice", at=t(4)).won
    assert refunds.create_once(db, a_draft(), requested_by=REQUESTER, at=t(5)).outcome is Creation.BLOCKED
    start = refunds.start_execution(db, first.request.id, actor=LEAD, at=t(5))
    assert refunds.create_once(db, a_draft(), requested_by=REQUESTER, at=t(6)).outcome is Creation.BLOCKED
    refunds.finish(db, first.request.id, attempt=start.attempt or 0, succeeded=False, failure="declined", at=t(6))
    assert refunds.create_once(db, a_draft(), requested_by=REQUESTER, at=t(7)).created


def test_what_was_auto_approved_on_the_order_counts_against_the_limit(db: Database) -> None:
    """Five requests of 49.90 under a limit of 50 (a lead adding them, so none is blocked): one goes through
    without a team lead, the others wait for one."""
    made = [
        refunds.create_once(
            db, a_49_90(), requested_by=REQUESTER, at=t(i), auto_approve_up_to=LIMIT, alone=False
        ).request
        for i in range(5)
    ]
    assert [r.status for r in made] == [RefundStatus.APPROVED] + [RefundStatus.PENDING_APPROVAL] * 4
    assert made[0].auto_approved
    # another order has a limit of its own
    other = refunds.create_once(
        db, a_49_90(order_id="gid://shopify/Order/1002", order_name="#1002"), requested_by=REQUESTER, at=t(9),
        auto_approve_up_to=LIMIT,
    )  # fmt: skip
    assert other.request.auto_approved


def test_an_auto_approved_refund_done_still_counts(db: Database) -> None:
    first = refunds.create_once(db, a_draft(amount=Decimal(30), shipping=Decimal(0)), requested_by=REQUESTER,
                                at=t(0), auto_approve_up_to=LIMIT).request  # fmt: skip
    start = refunds.start_execution(db, first.id, actor=REQUESTER, at=t(1))
    refunds.finish(db, first.id, attempt=start.attempt or 0, succeeded=True, store_refund_id="R1", at=t(2))

    small = refunds.create_once(db, a_draft(amount=Decimal(20), shipping=Decimal(0)), requested_by=REQUESTER,
                                at=t(3), auto_approve_up_to=LIMIT).request  # fmt: skip
    assert small.auto_approved  # 30 + 20 is within 50
    start = refunds.start_execution(db, small.id, actor=REQUESTER, at=t(4))
    refunds.finish(db, small.id, attempt=start.attempt or 0, succeeded=True, store_refund_id="R2", at=t(5))
    cent = refunds.create_once(db, a_draft(amount=Decimal("0.01"), shipping=Decimal(0)), requested_by=REQUESTER,
                               at=t(6), auto_approve_up_to=LIMIT).request  # fmt: skip
    assert cent.status is RefundStatus.PENDING_APPROVAL


def test_five_requests_at_once_one_goes_without_a_lead(db: Database) -> None:
    results = race(
        [
            lambda i=i: refunds.create_once(
                db, a_49_90(), requested_by=f"U0AGENT{i}", at=t(1), auto_approve_up_to=LIMIT, alone=False
            )
            for i in range(5)
        ]
    )
    assert sum(r.request.auto_approved for r in results) == 1
    assert sorted(r.status for r in refunds.for_order(db, "gid://shopify/Order/1001")) == sorted(
        [RefundStatus.APPROVED] + [RefundStatus.PENDING_APPROVAL] * 4
    )


def test_five_agents_at_once_make_one_request(db: Database) -> None:
    results = race(
        [
            lambda i=i: refunds.create_once(db, a_49_90(), requested_by=f"U0AGENT{i}", at=t(1), submission_key=f"s{i}")
            for i in range(5)
        ]
    )
    [created] = [r for r in results if r.created]
    assert all(
        r.outcome is Creation.BLOCKED and r.request.id == created.request.id for r in results if r is not created
    )
    assert len(refunds.for_order(db, "gid://shopify/Order/1001")) == 1


# -- deciding ----------------------------------------------------------------------------------------


def test_approval_records_the_decider(db: Database) -> None:
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))

    result = refunds.approve(db, request.id, approver=LEAD, at=t(1))

    assert result.won and result.outcome is Outcome.APPLIED
    assert (result.request.status, result.request.decided_by, result.request.decided_at) == ("approved", LEAD, t(1))
    assert refunds.get(db, request.id) == result.request
    assert actions(db, request.id) == ["refund.requested", "refund.approved"]


def test_a_double_click_loses_and_learns_who_decided(db: Database) -> None:
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))
    assert refunds.approve(db, request.id, approver=LEAD, at=t(1)).won

    again = refunds.approve(db, request.id, approver=LEAD, at=t(2))
    other = refunds.approve(db, request.id, approver=OTHER_LEAD, at=t(2))

    for late in (again, other):
        assert not late.won and late.outcome is Outcome.WRONG_STATE
        assert (late.request.status, late.request.decided_by, late.request.decided_at) == ("approved", LEAD, t(1))
    assert actions(db, request.id) == ["refund.requested", "refund.approved"]


def test_the_requester_cannot_approve_or_reject_their_own_request(db: Database) -> None:
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))

    approval = refunds.approve(db, request.id, approver=REQUESTER, at=t(1))
    rejection = refunds.reject(db, request.id, approver=REQUESTER, reason="changed my mind", at=t(2))

    for refused in (approval, rejection):
        assert not refused.won and refused.outcome is Outcome.SELF_APPROVAL
        assert (refused.request.status, refused.request.decided_by) == (RefundStatus.PENDING_APPROVAL, None)
    denials = [(a, who, d["attempted"]) for a, who, d in events(db, request.id) if a == "refund.decision_denied"]
    assert denials == [
        ("refund.decision_denied", REQUESTER, "approve"),
        ("refund.decision_denied", REQUESTER, "reject"),
    ]
    assert refunds.approve(db, request.id, approver=LEAD, at=t(3)).won


def test_the_requester_clicking_late_learns_it_was_decided(db: Database) -> None:
    request = approved_request(db)
    late = refunds.approve(db, request.id, approver=REQUESTER, at=t(5))
    assert late.outcome is Outcome.WRONG_STATE and late.request.decided_by == LEAD


def test_the_sql_itself_refuses_self_approval(db: Database) -> None:
    # a row that somehow got "decided by its own requester" (a bug, a hand edit) still never reaches the store
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))
    with db.session(write=True) as s:
        s.execute(
            update(RefundRequestRow)
            .where(RefundRequestRow.id == request.id)
            .values(status="approved", decided_by=REQUESTER)
        )

    start = refunds.start_execution(db, request.id, actor=LEAD, at=t(1))

    assert not start.won and start.outcome is Outcome.SELF_APPROVAL and start.idempotency_key is None
    assert refunds.get(db, request.id).status == RefundStatus.APPROVED


def test_reject_with_a_reason(db: Database) -> None:
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))
    with pytest.raises(ValueError):
        refunds.reject(db, request.id, approver=LEAD, reason="  ", at=t(1))

    result = refunds.reject(db, request.id, approver=LEAD, reason="Outside the return window", at=t(1))

    assert result.won
    assert (result.request.status, result.request.decided_by, result.request.reject_reason) == (
        "rejected", LEAD, "Outside the return window",
    )  # fmt: skip
    assert events(db, request.id)[-1] == (
        "refund.rejected", LEAD,
        {"order": "#1001", "amount": "43.80", "currency": "EUR", "reason": "Outside the return window"},
    )  # fmt: skip
    # rejected is final
    assert refunds.approve(db, request.id, approver=OTHER_LEAD, at=t(2)).outcome is Outcome.WRONG_STATE
    assert not refunds.start_execution(db, request.id, actor=LEAD, at=t(2)).won
    assert refunds.get(db, request.id).status == RefundStatus.REJECTED


# -- executing ---------------------------------------------------------------------------------------


def test_nothing_executes_before_approval(db: Database) -> None:
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))
    start = refunds.start_execution(db, request.id, actor=LEAD, at=t(1))
    assert not start.won and start.outcome is Outcome.WRONG_STATE and start.idempotency_key is None


def test_approved_executes_once_and_succeeds(db: Database) -> None:
    request = approved_request(db)

    start = refunds.start_execution(db, request.id, actor=LEAD, at=t(2))
    second = refunds.start_execution(db, request.id, actor=LEAD, at=t(2))
    done = refunds.finish(db, request.id, attempt=1, succeeded=True, store_refund_id="gid://shopify/Refund/9", at=t(3))

    assert start.won and (start.idempotency_key, start.attempt) == (request.idempotency_key, 1)
    assert start.request.status == RefundStatus.EXECUTING
    assert not second.won and second.request.status == RefundStatus.EXECUTING and second.idempotency_key is None
    assert done.won and (done.request.status, done.request.store_refund_id) == ("succeeded", "gid://shopify/Refund/9")
    assert actions(db, request.id) == ["refund.requested", "refund.approved", "refund.executing", "refund.succeeded"]
    # succeeded is final
    assert not refunds.start_execution(db, request.id, actor=LEAD, at=t(4)).won
    again = refunds.finish(
        db, request.id, attempt=1, succeeded=True, store_refund_id="gid://shopify/Refund/10", at=t(4)
    )
    assert not again.won and again.request.store_refund_id == "gid://shopify/Refund/9"


def test_an_approval_never_retries_and_a_retry_never_starts_an_approval(db: Database) -> None:
    request = approved_request(db)
    assert not refunds.start_execution(db, request.id, actor=LEAD, at=t(2), from_status=RefundStatus.FAILED).won
    start = refunds.start_execution(db, request.id, actor=LEAD, at=t(2), from_status=RefundStatus.APPROVED)
    refunds.finish(db, request.id, attempt=start.attempt or 0, succeeded=False, failure="declined", at=t(3))
    assert not refunds.start_execution(db, request.id, actor=LEAD, at=t(4), from_status=RefundStatus.APPROVED).won
    assert refunds.start_execution(db, request.id, actor=LEAD, at=t(4), from_status=RefundStatus.FAILED).won


def test_a_retry_keeps_the_key_and_counts_attempts(db: Database) -> None:
    request = approved_request(db)

    first = refunds.start_execution(db, request.id, actor=LEAD, at=t(2))
    failed = refunds.finish(db, request.id, attempt=1, succeeded=False, failure="THROTTLED", at=t(3))
    retry = refunds.start_execution(db, request.id, actor=LEAD, at=t(4))

    assert failed.won and (failed.request.status, failed.request.failure) == ("failed", "THROTTLED")
    assert retry.won and retry.attempt == 2 and retry.request.failure == ""
    assert first.idempotency_key == retry.idempotency_key == request.idempotency_key
    # attempt 1's failure, reported twice, must not fail attempt 2 while it runs
    stale = refunds.finish(db, request.id, attempt=1, succeeded=False, failure="THROTTLED", at=t(5))
    assert not stale.won and stale.request.status == RefundStatus.EXECUTING
    assert refunds.finish(db, request.id, attempt=2, succeeded=True, store_refund_id="R9", at=t(6)).won

    assert events(db, request.id)[2:] == [
        ("refund.executing", LEAD, {"order": "#1001", "amount": "43.80", "currency": "EUR", "attempt": 1}),
        ("refund.failed", refunds.SYSTEM,
         {"order": "#1001", "amount": "43.80", "currency": "EUR", "attempt": 1, "failure": "THROTTLED"}),
        ("refund.retried", LEAD, {"order": "#1001", "amount": "43.80", "currency": "EUR", "attempt": 2}),
        ("refund.succeeded", refunds.SYSTEM,
         {"order": "#1001", "amount": "43.80", "currency": "EUR", "attempt": 2, "store_refund_id": "R9"}),
    ]  # fmt: skip
    assert refunds.get(db, request.id).attempts == 2


def test_finish_only_from_executing(db: Database) -> None:
    request = approved_request(db)
    result = refunds.finish(db, request.id, attempt=0, succeeded=True, store_refund_id="R1", at=t(2))
    assert not result.won and result.request.status == RefundStatus.APPROVED


@pytest.mark.parametrize(
    "kwargs",
    [
        {"succeeded": True},
        {"succeeded": True, "store_refund_id": "R1", "failure": "boom"},
        {"succeeded": False},
        {"succeeded": False, "failure": "boom", "store_refund_id": "R1"},
    ],
)
def test_finish_refuses_contradictory_reports(db: Database, kwargs: dict[str, Any]) -> None:
    request = approved_request(db)
    refunds.start_execution(db, request.id, actor=LEAD, at=t(2))
    with pytest.raises(ValueError):
        refunds.finish(db, request.id, attempt=1, at=t(3), **kwargs)
    assert refunds.get(db, request.id).status == RefundStatus.EXECUTING


def test_a_long_failure_is_cut(db: Database) -> None:
    request = approved_request(db)
    refunds.start_execution(db, request.id, actor=LEAD, at=t(2))
    result = refunds.finish(db, request.id, attempt=1, succeeded=False, failure="x" * 5000, at=t(3))
    assert len(result.request.failure) == refunds.MAX_FAILURE


# -- Slack bookkeeping and reads ---------------------------------------------------------------------


def test_the_approval_message_is_remembered_once(db: Database) -> None:
    request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))
    assert refunds.set_approval_message(db, request.id, channel="C9", ts="111.1", at=t(1))
    assert not refunds.set_approval_message(db, request.id, channel="C9", ts="222.2", at=t(2))
    stored = refunds.get(db, request.id)
    assert (stored.slack_approval_channel, stored.slack_approval_ts) == ("C9", "111.1")


def test_reads_by_order_and_by_status(db: Database) -> None:
    first = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(0))
    second = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(1), auto_approved=True)
    refunds.create(db, a_draft(order_id="gid://shopify/Order/2", order_name="#1002"), requested_by=REQUESTER, at=t(2))

    assert [r.id for r in refunds.for_order(db, "gid://shopify/Order/1001")] == [first.id, second.id]
    assert [r.order_name for r in refunds.with_status(db, RefundStatus.PENDING_APPROVAL)] == ["#1001", "#1002"]
    assert [r.id for r in refunds.with_status(db, RefundStatus.APPROVED)] == [second.id]
    with pytest.raises(ValueError):
        refunds.with_status(db, "lost")


# -- races -------------------------------------------------------------------------------------------


def race(calls: list[Callable[[], R]]) -> list[R]:
    """Run the calls in threads released together; any exception fails the test."""
    barrier = threading.Barrier(len(calls))
    results: list[R | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # reported below, in the test's thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if r is not None and not isinstance(r, BaseException)]


def test_two_approvers_at_the_same_moment_one_wins(db: Database) -> None:
    for round_ in range(3):
        request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(round_))
        leads = [f"U0LEAD{i}" for i in range(6)]
        results = race(
            [lambda lead=lead, rid=request.id: refunds.approve(db, rid, approver=lead, at=t(10)) for lead in leads]
        )

        winners = [r for r in results if r.won]
        assert len(winners) == 1
        winner = winners[0].request.decided_by
        for loser in (r for r in results if not r.won):
            assert loser.outcome is Outcome.WRONG_STATE and loser.request.decided_by == winner
        assert actions(db, request.id).count("refund.approved") == 1


def test_approve_against_reject_one_decision(db: Database) -> None:
    for round_ in range(3):
        request = refunds.create(db, a_draft(), requested_by=REQUESTER, at=t(round_))
        calls: list[Callable[[], refunds.Transition]] = []
        for i in range(3):
            calls.append(lambda i=i, rid=request.id: refunds.approve(db, rid, approver=f"U0A{i}", at=t(10)))
            calls.append(lambda i=i, rid=request.id: refunds.reject(db, rid, approver=f"U0R{i}", reason="no", at=t(10)))

        results = race(calls)

        assert sum(r.won for r in results) == 1
        final = refunds.get(db, request.id)
        assert final.status in (RefundStatus.APPROVED, RefundStatus.REJECTED)
        assert all(r.request.status == final.status and r.request.decided_by == final.decided_by for r in results)
        decisions = [a for a in actions(db, request.id) if a in ("refund.approved", "refund.rejected")]
        assert decisions == [f"refund.{final.status}"]


def test_racing_executions_start_once(db: Database) -> None:
    request = approved_request(db)
    results = race([lambda: refunds.start_execution(db, request.id, actor=LEAD, at=t(2)) for _ in range(6)])
    assert sum(r.won for r in results) == 1
    assert refunds.get(db, request.id).attempts == 1
    assert actions(db, request.id).count("refund.executing") == 1


# -- the state machine, explored -----------------------------------------------------------------------

USERS = st.sampled_from(["U1", "U2", "U3"])  # few users, so requesters often try to approve their own


@dataclass
class Expected:
    """What the test believes about one request."""

    requester: str
    key: str
    status: str
    auto: bool
    decided_by: str | None = None
    attempts: int = 0
    in_flight: int = 0  # won starts not yet finished
    successes: int = 0  # won finishes with succeeded=True


class RefundMachine(RuleBasedStateMachine):
    """Random sequences of clicks and executions against one fresh SQLite database."""

    requests = Bundle("requests")

    def __init__(self, template: Path) -> None:
        super().__init__()
        self.path = template.with_name(f"{uuid.uuid4().hex}.db")
        shutil.copyfile(template, self.path)
        self.db = Database(make_engine(f"sqlite:///{self.path}"))
        self.expected: dict[int, Expected] = {}
        self.minute = 0

    def now(self) -> datetime:
        self.minute += 1
        return t(self.minute)

    def teardown(self) -> None:
        self.db.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    # a few requests, each driven deep, find more than many that never leave pending_approval
    @precondition(lambda self: len(self.expected) < 4)
    @rule(target=requests, requester=USERS, auto=st.booleans(), cents=st.integers(1, 10**9))
    def request(self, requester: str, auto: bool, cents: int) -> int:
        draft = a_draft(amount=Decimal(cents).scaleb(-2) + Decimal("4.90"))
        view = refunds.create(self.db, draft, requested_by=requester, at=self.now(), auto_approved=auto)
        status = RefundStatus.APPROVED if auto else RefundStatus.PENDING_APPROVAL
        self.expected[view.id] = Expected(requester, view.idempotency_key, status, auto, refunds.AUTO if auto else None)
        return view.id

    @rule(request_id=requests, user=USERS)
    def approve(self, request_id: int, user: str) -> None:
        self._decide(request_id, user, lambda: refunds.approve(self.db, request_id, approver=user, at=self.now()))

    @rule(request_id=requests, user=USERS)
    def reject(self, request_id: int, user: str) -> None:
        self._decide(
            request_id,
            user,
            lambda: refunds.reject(self.db, request_id, approver=user, reason="no", at=self.now()),
            status=RefundStatus.REJECTED,
        )

    @rule(request_id=requests, user=USERS)
    def double_click_approve(self, request_id: int, user: str) -> None:
        self.approve(request_id, user)
        second = refunds.approve(self.db, request_id, approver=user, at=self.now())
        assert not second.won

    def _decide(
        self, request_id: int, user: str, call: Callable[[], refunds.Transition], status: str = RefundStatus.APPROVED
    ) -> None:
        exp = self.expected[request_id]
        result = call()
        if exp.status != RefundStatus.PENDING_APPROVAL:
            assert result.outcome is Outcome.WRONG_STATE
        elif user == exp.requester:
            assert result.outcome is Outcome.SELF_APPROVAL
        else:
            assert result.won
            exp.status, exp.decided_by = status, user
        assert result.request.decided_by == exp.decided_by

    @rule(request_id=requests, user=USERS)
    def start_execution(self, request_id: int, user: str) -> None:
        exp = self.expected[request_id]
        start = refunds.start_execution(self.db, request_id, actor=user, at=self.now())
        assert start.won == (exp.status in (RefundStatus.APPROVED, RefundStatus.FAILED))
        if start.won:
            exp.status, exp.attempts, exp.in_flight = RefundStatus.EXECUTING, exp.attempts + 1, exp.in_flight + 1
            assert (start.idempotency_key, start.attempt) == (exp.key, exp.attempts)

    def _in(self, status: str) -> bool:
        return any(e.status == status for e in self.expected.values())

    def _pick(self, data: st.DataObject, status: str) -> int:
        # aimed rules: picking at random from every request would rarely find one that is executing or failed
        return data.draw(st.sampled_from(sorted(i for i, e in self.expected.items() if e.status == status)))

    @precondition(lambda self: self._in(RefundStatus.PENDING_APPROVAL))
    @rule(data=st.data(), user=USERS)
    def approve_a_pending_one(self, data: st.DataObject, user: str) -> None:
        self.approve(self._pick(data, RefundStatus.PENDING_APPROVAL), user)

    @precondition(lambda self: self._in(RefundStatus.APPROVED))
    @rule(data=st.data(), user=USERS)
    def execute_an_approved_one(self, data: st.DataObject, user: str) -> None:
        self.start_execution(self._pick(data, RefundStatus.APPROVED), user)

    @precondition(lambda self: self._in(RefundStatus.FAILED))
    @rule(data=st.data(), user=USERS)
    def retry(self, data: st.DataObject, user: str) -> None:
        self.start_execution(self._pick(data, RefundStatus.FAILED), user)

    @precondition(lambda self: self._in(RefundStatus.EXECUTING))
    @rule(data=st.data(), ok=st.booleans())
    def finish_a_running_one(self, data: st.DataObject, ok: bool) -> None:
        self.finish(self._pick(data, RefundStatus.EXECUTING), ok, stale=False)

    @precondition(lambda self: self._in(RefundStatus.EXECUTING))
    @rule(data=st.data(), ok=st.booleans())
    def late_report_of_an_earlier_attempt(self, data: st.DataObject, ok: bool) -> None:
        self.finish(self._pick(data, RefundStatus.EXECUTING), ok, stale=True)

    @rule(request_id=requests, ok=st.booleans(), stale=st.booleans())
    def finish(self, request_id: int, ok: bool, stale: bool) -> None:
        exp = self.expected[request_id]
        attempt = exp.attempts - 1 if stale else exp.attempts  # a late report of an earlier attempt
        outcome = {"store_refund_id": f"R{request_id}"} if ok else {"failure": "HTTP 503"}
        result = refunds.finish(self.db, request_id, attempt=attempt, succeeded=ok, at=self.now(), **outcome)
        assert result.won == (exp.status == RefundStatus.EXECUTING and not stale)
        if result.won:
            exp.status, exp.in_flight = (RefundStatus.SUCCEEDED if ok else RefundStatus.FAILED), exp.in_flight - 1
            exp.successes += ok

    @invariant()
    def the_database_agrees_with_the_model(self) -> None:
        for request_id, exp in self.expected.items():
            row = refunds.get(self.db, request_id)
            assert (row.status, row.decided_by, row.attempts) == (exp.status, exp.decided_by, exp.attempts)

    @invariant()
    def at_most_one_success_and_one_execution_in_flight(self) -> None:
        for exp in self.expected.values():
            assert exp.successes <= 1 and exp.in_flight <= 1
            assert exp.in_flight == (exp.status == RefundStatus.EXECUTING)

    @invariant()
    def only_others_or_auto_decide_what_executes(self) -> None:
        for request_id, exp in self.expected.items():
            row = refunds.get(self.db, request_id)
            if row.attempts > 0 or row.status in (RefundStatus.EXECUTING, RefundStatus.SUCCEEDED, RefundStatus.FAILED):
                assert row.decided_by is not None
                assert row.decided_by != row.requested_by
                assert row.auto_approved == exp.auto

    @invariant()
    def the_key_never_changes(self) -> None:
        for request_id, exp in self.expected.items():
            assert refunds.get(self.db, request_id).idempotency_key == exp.key

    @invariant()
    def final_requests_are_audited(self) -> None:
        for request_id, exp in self.expected.items():
            if exp.status in (RefundStatus.REJECTED, RefundStatus.SUCCEEDED, RefundStatus.FAILED):
                logged = actions(self.db, request_id)
                assert logged[0] == "refund.requested" and logged[-1] == f"refund.{exp.status}"
                assert logged.count("refund.succeeded") == exp.successes


def test_the_state_machine_holds_under_random_clicks(tmp_path: Path) -> None:
    template = tmp_path / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade(engine)
    engine.dispose()  # closes the WAL into the file, so a plain copy is a complete database

    run_state_machine_as_test(
        lambda: RefundMachine(template),
        settings=settings(
            max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )
