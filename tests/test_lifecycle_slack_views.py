"""The Block Kit of a return after its label, alone: what each message says and offers in each state, and that it
stays within Slack's limits (50 blocks a message, 100 a modal, 100 options a menu) however big the return."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.common.ids import ActionId, BlockId, receipt_block_id
from bot.lifecycle.receipt import MAX_FORM_ITEMS, read_receipt, receipt_modal
from bot.lifecycle.views import (
    digest_message,
    escalation_message,
    expired_message,
    received_message,
    reminder_message,
    with_outcome,
)
from bot.returns.views import label_message, returns_list
from bot.shell.standin import initial_values, validate_message, validate_view
from commands.return_lifecycle import Condition, Received
from commands.tick import Digest, RefundSummary
from domain.vocabulary import LabelStatus, ReturnStatus
from storage.returns import CaseView, LabelView
from tests.slack_harness import block_texts

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
LABEL = LabelView(
    id=1, carrier="local", service="Return", tracking_number="RB1FI", tracking_url="", status=LabelStatus.CREATED
)


def case(rma: str = "R1001-1", *, age: int = 6, status: ReturnStatus = ReturnStatus.IN_TRANSIT, items: int = 2,
         quantity: int = 2, **extra: Any) -> CaseView:  # fmt: skip
    return CaseView(
        rma=rma, order_id="1", order_name="#1001 <x>", status=status, delivery="drop_off",  # type: ignore[arg-type]
        pickup_date=None, customer_email="anna@example.com", email_customer=True, requested_by="U0AGENT01",
        items=[{"line_item_id": f"li{n}", "name": f"Item {n} & co", "sku": "", "quantity": quantity, "reason": "x"}
               for n in range(items)],
        created_at=NOW - timedelta(days=age), slack_channel="C1", slack_thread_ts="1.1", **({"label": LABEL} | extra),
    )  # fmt: skip


def actions(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_the_return_message_shows_state_and_age_and_offers_mark_received_while_on_its_way() -> None:
    text, blocks = label_message(case(), NOW)
    validate_message(text, blocks)
    assert "in transit · 6 days" in text and "*State:* in transit · 6 days" in block_texts({"blocks": blocks})
    assert actions(blocks)[0] == ActionId.RETURN_RECEIVE
    received = case(status=ReturnStatus.RECEIVED, received_at=NOW, received_by="carrier",
                    label=replace(LABEL, status=LabelStatus.DELIVERED))  # fmt: skip
    text, blocks = label_message(received, NOW)
    assert "received · 6 days" in text and actions(blocks) == []
    assert "by the carrier's tracking (delivered)" in block_texts({"blocks": blocks})
    for status in (ReturnStatus.CANCELLED, ReturnStatus.EXPIRED):
        assert actions(label_message(case(status=status), NOW)[1]) == []
    text, blocks = label_message(case(status=ReturnStatus.EXPIRED, label=None), NOW)  # the label voided with it
    assert "expired · 6 days" in text and "Tracking" not in block_texts({"blocks": blocks})


def test_the_returns_list_fits_a_message_with_mark_received_on_each_row() -> None:
    cases = [case(f"R{n}-1", age=n % 30) for n in range(1000, 1060)]
    text, blocks = returns_list(cases, "open returns", NOW.date())
    validate_message(text, blocks)
    assert len(blocks) <= 50 and actions(blocks).count(ActionId.RETURN_RECEIVE) == 24
    assert block_texts({"blocks": blocks}).endswith("…and 36 more.")


def test_the_reminder_and_the_escalation() -> None:
    text, blocks = reminder_message(case(age=14), NOW, customer_emailed_to="anna@example.com")
    validate_message(text, blocks)
    shown = block_texts({"blocks": blocks})
    assert "<@U0AGENT01>" in shown and "#1001 &lt;x&gt;" in shown and "Item 0 &amp; co" in shown
    assert "reminded by e-mail (anna@example.com)" in shown
    assert actions(blocks) == [ActionId.RETURN_RECEIVE, ActionId.RETURN_REMIND, ActionId.RETURN_SNOOZE,
                               ActionId.RETURN_CLOSE_KEPT]  # fmt: skip
    no_email = replace(case(age=14), customer_email="")
    assert ActionId.RETURN_REMIND not in actions(reminder_message(no_email, NOW, customer_emailed_to=None)[1])
    text, blocks = escalation_message(case(age=21), NOW, thread_link="https://example.slack.com/archives/C1/p11")
    validate_message(text, blocks)
    assert "<https://example.slack.com/archives/C1/p11|the order's thread>" in block_texts({"blocks": blocks})
    snoozed = with_outcome(blocks, "😴 Snoozed", keep_buttons=True)
    assert actions(snoozed) == actions(blocks) and snoozed[-1]["block_id"] == BlockId.LIFECYCLE_OUTCOME
    closed = with_outcome(snoozed, "✅ Closed", keep_buttons=False)
    assert actions(closed) == [] and block_texts({"blocks": closed}).count("Snoozed") == 0
    text, blocks = expired_message(case(age=30), NOW, label_voided=False)
    assert "could not be voided" in block_texts({"blocks": blocks})


@pytest.mark.parametrize(
    ("resolution", "offered", "said"),
    [("", ["Refund now"], ""), ("refund", ["Refund now"], ""), ("kept", [], ""),
     ("exchange", [], "")],
)  # fmt: skip
def test_the_received_message_offers_what_the_resolution_calls_for(resolution: str, offered: list[str], said: str
                                                                   ) -> None:  # fmt: skip
    receipt = [{"line_item_id": "li0", "name": "Item 0", "quantity": 2, "condition": Condition.RESELLABLE},
               {"line_item_id": "li1", "name": "Item 1", "quantity": 1, "condition": Condition.DAMAGED}]  # fmt: skip
    received = case(status=ReturnStatus.RECEIVED, received_at=NOW, received_by="U0WAREHOUSE", receipt=receipt,
                    receipt_note="Wet <box>", resolution=resolution)  # fmt: skip
    text, blocks = received_message(Received(received, won=True, emailed_to="anna@example.com", problem="x & y"))
    validate_message(text, blocks)
    shown = block_texts({"blocks": blocks})
    assert [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]] == offered
    assert "Send replacement" not in shown and said in shown
    assert "2 × Item 0 — resellable, back to stock" in shown and "1 × Item 1 — damaged" in shown
    assert "not in the parcel:_ 1 × Item 1 &amp; co" in shown and "Wet &lt;box&gt;" in shown and "x &amp; y" in shown


def test_the_digest() -> None:
    open_cases = tuple(case(f"R{n}-1", age=n % 35) for n in range(1000, 1040))
    overdue = tuple(c for c in open_cases if (NOW - c.created_at).days >= 14)
    refunds = (RefundSummary(7, "#1009", "25.00 EUR", "U0AGENT01", NOW - timedelta(days=3)),)
    received = (case("R2000-1", status=ReturnStatus.RECEIVED, received_at=NOW - timedelta(days=2)),)
    digest = Digest(date(2026, 12, 1), open_cases, overdue, refunds, received, open_total=250)
    links = {c.rma: f"https://example.slack.com/archives/C1/p{n}" for n, c in enumerate(overdue)}
    text, blocks = digest_message(digest, NOW, links)
    validate_message(text, blocks)
    shown = block_texts({"blocks": blocks})
    assert "Returns digest for 2026-12-01: 250 open" in text
    assert "*Open returns: 250* — by age: under a week: 7 · 1–2 weeks: 7 · 2–3 weeks: 8 · 3 weeks or more: 18" in shown
    assert "(of the 40 oldest)" in shown
    assert f"*Overdue: {len(overdue)}*" in shown and f"<{links[overdue[0].rma]}|{overdue[0].rma}>" in shown
    assert "#7 · #1009 · 25.00 EUR · asked for by <@U0AGENT01> 3 days ago" in shown
    assert "*R2000-1* · #1001 &lt;x&gt; · received 2 days ago" in shown
    assert "…and 14 more" in shown  # overdue: 26 of them, a dozen listed


def test_the_receipt_form_fits_slack_for_any_return() -> None:
    big = case(items=60, quantity=150)
    form = receipt_modal(big)
    validate_view(form)
    assert len(form["blocks"]) == 2 + 2 * MAX_FORM_ITEMS
    qty = next(b for b in form["blocks"] if b.get("block_id") == receipt_block_id("li0", "qty"))
    assert qty["element"]["type"] == "number_input" and qty["element"]["max_value"] == "150"
    assert "The other 15 items of the return are recorded as received in full" in block_texts(form)
    receipt, errors = read_receipt(initial_values(form), big)
    assert errors == {} and len(receipt.items) == 60
    assert {(i.quantity, i.condition) for i in receipt.items} == {(150, Condition.RESELLABLE)}
    small = receipt_modal(case(quantity=99))
    options = next(b for b in small["blocks"] if b.get("block_id") == receipt_block_id("li0", "qty"))["element"]
    assert options["type"] == "static_select" and len(options["options"]) == 100
    assert small["private_metadata"] == '{"rma":"R1001-1"}'  # the RMA alone
