"""Return cases after the label: one receipt however it is pressed, clear words for what cannot be received, snoozes,
closing a case the customer keeps, and how a case reads ("in transit · 6 days")."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from commands import return_lifecycle as rl
from commands import returns
from commands.errors import UserError
from commands.return_lifecycle import Condition, Receipt, ReceivedItem
from commands.services import Services
from domain.vocabulary import LabelStatus, ReturnStatus
from storage import reminders
from storage import return_lifecycle as stored_lifecycle
from storage.audit import events_for
from storage.db import Database
from storage.models import OperationRow
from tests.lifecycle_env import clock_of, label_return, make_services


@pytest.fixture
def services(db: Database, tmp_path: Path) -> Services:
    return make_services(db, tmp_path)


def receipt_of(case: returns.Case, *quantities: int, condition: str = Condition.RESELLABLE) -> Receipt:
    return Receipt(
        tuple(
            ReceivedItem(str(i["line_item_id"]), str(i["name"]), q, condition)
            for i, q in zip(case.items, quantities, strict=False)  # items not named did not come back
        )
    )


def pending_kinds(services: Services, rma: str) -> list[str]:
    return sorted(r.kind for r in reminders.pending_for(services.db, rma))


def test_a_label_schedules_the_reminder_escalation_and_expiry_with_it(services: Services) -> None:
    rma = label_return(services)
    due = {r.kind: r.due_at for r in reminders.pending_for(services.db, rma)}
    created = returns.get_case(services.db, rma).created_at
    assert due == {
        "reminder": created + timedelta(days=14),
        "escalation": created + timedelta(days=21),
        "expiry": created + timedelta(days=30),
    }


def test_received_once_then_the_reminders_stop_and_the_customer_hears(services: Services, tmp_path: Path) -> None:
    rma = label_return(services)
    case = returns.get_case(services.db, rma)
    clock_of(services).advance(timedelta(days=6))
    first = rl.receive(services, rma, "U_WAREHOUSE", receipt_of(case, 1, 2, 0))
    assert first.won and first.emailed_to == case.customer_email and first.problem == ""
    assert first.case.status is ReturnStatus.RECEIVED and first.case.received_by == "U_WAREHOUSE"
    assert first.case.label is not None and first.case.label.status is LabelStatus.DELIVERED
    # what did not come (the beanie) is not in the receipt
    assert [(i["quantity"], i["condition"]) for i in first.case.receipt] == [(1, "resellable"), (2, "resellable")]
    second = rl.receive(services, rma, "U_OTHER", receipt_of(case, 1, 1))
    assert not second.won and second.case.received_by == "U_WAREHOUSE"
    assert pending_kinds(services, rma) == ["received"]  # the follow-up row; no reminder, escalation or expiry
    with services.db.session() as s:
        assert [e.action for e in events_for(s, stored_lifecycle.subject(rma))] == ["return.received"]
        sent = s.scalars(select(OperationRow.key).where(OperationRow.kind == "received_email")).all()
    assert sent == [f"received-email:{rma}"]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_two_people_pressing_at_once_make_one_receipt(services: Services) -> None:
    rma = label_return(services)
    case = returns.get_case(services.db, rma)
    barrier = threading.Barrier(4)
    results: list[rl.Received] = []

    def press(user: str) -> None:
        barrier.wait()
        results.append(rl.receive(services, rma, user, receipt_of(case, 1, 2)))

    threads = [threading.Thread(target=press, args=(f"U{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.won for r in results) == [False, False, False, True]
    winner = next(r for r in results if r.won)
    assert {r.case.received_by for r in results} == {winner.case.received_by}
    with services.db.session() as s:
        assert len(events_for(s, stored_lifecycle.subject(rma))) == 1


def test_more_received_than_returned_is_a_field_error(services: Services) -> None:
    rma = label_return(services)
    case = returns.get_case(services.db, rma)
    first, second, _third = (str(i["line_item_id"]) for i in case.items)
    errors = rl.receipt_errors(case, receipt_of(case, 1, 5))
    assert list(errors) == [second] and "has 2 of" in errors[second] and "5 cannot have come back" in errors[second]
    assert list(rl.receipt_errors(case, receipt_of(case, -1, 0))) == [first]
    assert "at least one item" in rl.receipt_errors(case, receipt_of(case, 0, 0))[first]
    assert "resellable, damaged or missing" in rl.receipt_errors(case, receipt_of(case, 1, 1, condition="lost"))[first]
    assert list(rl.receipt_errors(case, Receipt(receipt_of(case, 1, 1).items, note="x" * 2001))) == ["note"]
    stranger = Receipt((ReceivedItem("999", "Gloves", 1, Condition.RESELLABLE),))
    assert rl.receipt_errors(case, stranger) == {"999": f"Gloves is not in return {rma}."}
    with pytest.raises(UserError, match="5 cannot have come back"):
        rl.receive(services, rma, "U_WAREHOUSE", receipt_of(case, 1, 5))
    assert returns.get_case(services.db, rma).status is ReturnStatus.LABEL_CREATED  # nothing was recorded


def test_a_partial_receipt_with_damaged_and_missing_items(services: Services) -> None:
    rma = label_return(services)
    case = returns.get_case(services.db, rma)
    first, second, _third = case.items
    receipt = Receipt(
        (
            ReceivedItem(str(first["line_item_id"]), str(first["name"]), 1, Condition.DAMAGED),
            ReceivedItem(str(second["line_item_id"]), str(second["name"]), 1, Condition.RESELLABLE),
            ReceivedItem(str(second["line_item_id"]), str(second["name"]), 1, Condition.MISSING),
        ),
        note="One sock pack was not in the box",
    )
    received = rl.receive(services, rma, "U_WAREHOUSE", receipt)
    assert received.won and received.case.receipt_note == "One sock pack was not in the box"
    assert [i["condition"] for i in received.case.receipt] == ["damaged", "resellable", "missing"]


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("void", "was cancelled and its label voided"),
        ("expire", "expired: the parcel never came"),
        ("keep", "the customer keeps the items"),
    ],
)
def test_a_case_that_is_over_says_why_it_cannot_be_received(services: Services, how: str, says: str) -> None:
    rma = label_return(services)
    case = returns.get_case(services.db, rma)
    if how == "void":
        returns.void_label(services, rma, "U_AGENT")
    elif how == "expire":
        assert stored_lifecycle.expire(services.db, rma, at=services.clock(), label_voided=True)
    else:
        rl.close_kept(services, rma, "U_AGENT")
    with pytest.raises(UserError, match=says):
        rl.receive(services, rma, "U_WAREHOUSE", receipt_of(case, 1, 2))
    with pytest.raises(UserError, match=says):
        rl.receipt_form(services, rma)
    with pytest.raises(UserError, match=says):
        rl.snooze(services, rma, "U_AGENT")


def test_snoozing_moves_what_is_due_and_a_received_case_cannot_be_snoozed(services: Services) -> None:
    rma = label_return(services)
    clock = clock_of(services)
    clock.advance(timedelta(days=14, hours=1))
    snoozed = rl.snooze(services, rma, "U_AGENT", days=7)
    until = clock() + timedelta(days=7)
    assert snoozed.snoozed_until == until
    due = sorted((r.kind, r.due_at) for r in reminders.pending_for(services.db, rma))
    created = snoozed.created_at
    # the reminder had not gone yet (no tick): it comes when the snooze ends, once
    assert due == [("escalation", until), ("expiry", created + timedelta(days=30)), ("reminder", until)]
    assert "snoozed until" in rl.case_state_text(snoozed, clock())
    rl.receive(services, rma, "U_WAREHOUSE", rl.full_receipt(snoozed))
    with pytest.raises(UserError, match=f"Return {rma} was already received on .*: there is no need to snooze it"):
        rl.snooze(services, rma, "U_AGENT")
    with pytest.raises(UserError, match="already received"):
        rl.receipt_form(services, rma)
    with pytest.raises(UserError, match="no need to close it"):
        rl.close_kept(services, rma, "U_AGENT")


def test_close_kept_resolves_the_case_and_cancels_what_was_due(services: Services) -> None:
    rma = label_return(services)
    closed = rl.close_kept(services, rma, "U_LEAD")
    assert closed.status is ReturnStatus.RESOLVED and closed.resolution == "kept"
    assert pending_kinds(services, rma) == []
    assert rl.case_state_text(closed, services.clock()) == "closed, the customer keeps it · today"


def test_remind_customer_sends_once_per_press_with_the_label(services: Services, tmp_path: Path) -> None:
    rma = label_return(services)
    assert rl.remind_customer(services, rma, "U_AGENT", press="p1") == "janis.berzins@example.com"
    rl.remind_customer(services, rma, "U_AGENT", press="p1")  # Slack delivered the press twice
    rl.remind_customer(services, rma, "U_AGENT", press="p2")
    mails = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(mails) == 2
    assert b"application/pdf" in mails[0].read_bytes()


def test_the_state_reads_in_plain_words_with_the_age(services: Services) -> None:
    rma = label_return(services)
    clock = clock_of(services)
    case = returns.get_case(services.db, rma)
    assert rl.case_state_text(case, clock()) == "label created · today"
    clock.advance(timedelta(days=1, hours=2))
    assert stored_lifecycle.in_transit(services.db, rma, at=clock())
    assert not stored_lifecycle.in_transit(services.db, rma, at=clock())  # once
    case = returns.get_case(services.db, rma)
    assert rl.case_state_text(case, clock()) == "in transit · 1 day"
    clock.advance(timedelta(days=5))
    assert rl.case_state_text(case, clock()) == "in transit · 6 days"
    assert rl.age_days(case, clock()) == 6
