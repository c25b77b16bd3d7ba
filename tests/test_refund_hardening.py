"""Refunds that trust nothing from the client and leave no dead ends (issue 10), end to end through the real Bolt
app and the fake Slack, on the local store and on Shopify: forged form metadata, approvals that cannot be split,
Retry by the requester or a lead only, `/refund` with a bad amount or currency, an amount refunded on its own,
escaped customer data, and a modal that keeps within Slack's limits."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from bot.common.ids import ActionId, BlockId, CallbackId, refund_line_block_id
from bot.shell.standin import state_value
from commands import lookup, refund_decisions
from commands.refund_form import RefundForm
from commands.refunds import RefundPolicy, Requested, request_refund
from commands.services import Services
from domain.refunds import RefundChoice, RefundStatus
from domain.store import RefundOutcomeUnknown, Store
from storage import refunds as states
from storage.db import Database
from storage.models import LineItemRow, OrderRow
from tests.slack_harness import AGENT, CHANNEL, LEAD, LEAD2, SlackHarness, ack_text, block_texts
from tests.test_refunds_slack import (
    NOW,
    approval_messages,
    card_for,
    click_in_approvals,
    element,
    filled,
    harness,
    only_request,
    open_form,
    order_id_of,
    refunded,
    submit,
    told,
)

# the fixtures: each test runs on the local store and on Shopify, through the real app and the fake Slack
from tests.test_refunds_slack import slack as slack
from tests.test_refunds_slack import store as store


def last_view(slack: SlackHarness) -> dict[str, Any]:
    return slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]


def requests_of(slack: SlackHarness, order_id: str) -> list[states.RefundRequestView]:
    return states.for_order(slack.services.db, order_id)


# -- 5: nothing decisive from private_metadata ------------------------------------------------------


def test_a_forged_order_name_in_the_metadata_records_and_refunds_the_right_order(slack: SlackHarness) -> None:
    card = card_for(slack, "#1009")
    form = open_form(slack, card)
    meta = json.loads(form["private_metadata"])
    # whatever names the order in the metadata now names #1003, and a customer who is markup
    forged = {k: ("#1003" if v == "#1009" else v) for k, v in meta.items()}
    forged |= {"order_name": "#1003", "customer": "<!channel>", "w": "<!channel>", "n": "#1003"}
    form["private_metadata"] = json.dumps(forged)

    submit(slack, form, filled(form, quantities={0: 1}))

    order_id = order_id_of(card)
    request = only_request(slack, order_id)
    assert request.order_name == "#1009" and request.order_id == order_id
    facts = block_texts(approval_messages(slack)[-1])
    assert "#1009" in facts and "#1003" not in facts and "<!channel>" not in facts
    click_in_approvals(slack, approval_messages(slack)[-1], ActionId.REFUND_APPROVE, LEAD)
    assert refunded(slack, order_id) == only_request(slack, order_id).amount > 0


def test_forged_ceilings_pass_the_quick_check_and_are_refused_against_the_store(slack: SlackHarness) -> None:
    card = card_for(slack, "#1009")
    form = open_form(slack, card)
    meta = json.loads(form["private_metadata"])
    form["private_metadata"] = json.dumps(
        meta | {"maximum": "99999", "most": " ".join("50" for _ in meta["most"].split())}
    )

    response = submit(slack, form, filled(form, quantities={0: 1}, amount="5000"))

    assert response.json()["response_action"] == "update"  # the quick check believed it
    assert "can still be refunded" in block_texts(slack.fake.views[form["id"]])
    assert requests_of(slack, order_id_of(card)) == []


def test_metadata_the_bot_did_not_write_is_a_clear_message(slack: SlackHarness) -> None:
    form = open_form(slack, card_for(slack, "#1009"))
    form["private_metadata"] = "{not json"
    response = submit(slack, form, filled(form, quantities={0: 1}))
    answer = response.json()
    assert answer["response_action"] == "update" and "could not be read" in block_texts(answer["view"])
    assert states.with_status(slack.services.db, RefundStatus.PENDING_APPROVAL) == []


def test_a_reject_form_with_metadata_the_bot_did_not_write_is_a_clear_message(slack: SlackHarness) -> None:
    card, approval = _requested(slack, "#1009")
    click_in_approvals(slack, approval, ActionId.REFUND_REJECT, LEAD)
    modal = last_view(slack)
    assert modal["callback_id"] == CallbackId.REFUND_REJECT_MODAL
    modal["private_metadata"] = json.dumps({"id": "1; DROP TABLE"})  # the old shape, with a forged id
    values = {BlockId.F_REJECT_REASON: {ActionId.REFUND_FIELD: {"type": "plain_text_input", "value": "No"}}}

    answer = submit(slack, modal, values, user=LEAD).json()

    assert answer["response_action"] == "update" and "could not be read" in block_texts(answer["view"])
    assert only_request(slack, order_id_of(card)).status == RefundStatus.PENDING_APPROVAL


# -- 6: approvals that cannot be split; Retry by the requester or a lead ----------------------------


def test_five_requests_of_about_50_under_a_limit_of_50_need_a_lead(db: Database, store: Store) -> None:
    slack = harness(db, store, policy=RefundPolicy(Decimal(50)))
    try:
        order_id = ""
        for _ in range(5):
            slack.command("/refund", "#1001 49.90")
            view = last_view(slack)
            if view.get("callback_id") == CallbackId.REFUND_MODAL:
                order_id = order_id_of(slack.posted()[-1])
                submit(slack, view, filled(view, reason="goodwill"))
        requests = requests_of(slack, order_id)
        assert [r.status for r in requests] == [RefundStatus.SUCCEEDED, RefundStatus.PENDING_APPROVAL]
        assert refunded(slack, order_id) == Decimal("49.90")  # without a team lead: never more than the limit
        # the third /refund on showed the pending request instead of a form
        assert "already has an open refund request" in block_texts(last_view(slack))
        assert f"#{requests[1].id}" in block_texts(last_view(slack))
    finally:
        slack.close()


@pytest.mark.parametrize("leads", [True, False])
def test_five_requests_at_once_under_the_limit_of_50_one_goes_without_a_lead(
    db: Database, store: Store, leads: bool
) -> None:
    """The race the database decides: five submissions of 49.90 for one order at the same moment. Made by agents,
    one is recorded and four are shown the open one. Made by team leads beside an open request (a lead approved
    it, so it does not count against the limit), one is approved automatically and four wait for a lead."""
    services = Services(db=db, store=store, clock=lambda: NOW)
    policy = RefundPolicy(Decimal(50))
    order = lookup.single_order(services, "#1001")
    if leads:
        big = RefundForm({}, Decimal(0), restock=False, amount=Decimal(100), reason="goodwill")
        first = request_refund(services, policy, order, big, requester=AGENT, submission_key="big").request
        assert refund_decisions.approve(services, first.id, user=LEAD, is_lead=lambda: True).won
    form = RefundForm({}, Decimal(0), restock=False, amount=Decimal("49.90"), reason="goodwill")
    barrier = threading.Barrier(5)

    def submit_one(i: int) -> Requested:
        barrier.wait()
        return request_refund(
            services, policy, order, form, requester=f"U0AGENT{i}", submission_key=f"form-{i}",
            is_lead=lambda: leads,
        )  # fmt: skip

    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(submit_one, range(5)))

    assert sum(r.created and r.request.auto_approved for r in results) == 1
    recorded = [r for r in states.for_order(db, order.ref.id) if r.amount == Decimal("49.90")]
    if leads:
        assert sorted(r.status for r in recorded) == [RefundStatus.APPROVED] + [RefundStatus.PENDING_APPROVAL] * 4
    else:
        assert len(recorded) == 1 and sum(r.blocked for r in results) == 4


def test_a_lead_sees_the_open_requests_in_the_form_and_may_add_one(slack: SlackHarness) -> None:
    card = card_for(slack, "#1009")
    form = open_form(slack, card)
    submit(slack, form, filled(form, quantities={0: 1}))
    pending = only_request(slack, order_id_of(card))

    form = open_form(slack, card, user=AGENT)  # the agent again: the open request, no form
    assert form.get("callback_id") != CallbackId.REFUND_MODAL
    assert f"#{pending.id}" in block_texts(form)

    form = open_form(slack, card, user=LEAD)
    assert form["callback_id"] == CallbackId.REFUND_MODAL
    assert "open refund requests" in block_texts(form) and f"#{pending.id}" in block_texts(form)
    submit(slack, form, filled(form, quantities={}, shipping="3.90"), user=LEAD)
    assert len(requests_of(slack, order_id_of(card))) == 2


def test_only_the_requester_or_a_lead_may_retry_a_failed_refund(slack: SlackHarness) -> None:
    real = slack.services.store

    class TimesOutOnce:
        calls = 0

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def create_refund(self, plan: Any, *, idempotency_key: str) -> Any:
            TimesOutOnce.calls += 1
            if TimesOutOnce.calls == 1:
                raise RefundOutcomeUnknown("The store did not confirm the refund in time.")
            return real.create_refund(plan, idempotency_key=idempotency_key)

    slack.services.store = TimesOutOnce()  # type: ignore[assignment]
    card, approval = _requested(slack, "#1009")
    click_in_approvals(slack, approval, ActionId.REFUND_APPROVE, LEAD)
    order_id = order_id_of(card)
    assert only_request(slack, order_id).status == RefundStatus.FAILED
    status = slack.fake.thread(CHANNEL, card["ts"])[-1]

    slack.click(status, ActionId.REFUND_RETRY, user=LEAD2)  # neither the requester nor a lead
    assert told(slack) == "Only the agent who asked for this refund, or a team lead, can retry it."
    assert only_request(slack, order_id).status == RefundStatus.FAILED and TimesOutOnce.calls == 1

    slack.click(status, ActionId.REFUND_RETRY, user=AGENT)  # the requester
    request = only_request(slack, order_id)
    assert request.status == RefundStatus.SUCCEEDED and request.attempts == 2
    assert refunded(slack, order_id) == request.amount


def _requested(slack: SlackHarness, order: str) -> tuple[dict[str, Any], dict[str, Any]]:
    card = card_for(slack, order)
    form = open_form(slack, card)
    submit(slack, form, filled(form, quantities={0: 1}))
    return card, approval_messages(slack)[-1]


# -- 8: `/refund <order> [amount] [currency]` --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("#1001 -5", "more than zero"),
        ("#1001 abc", "“abc” is not an amount"),
        ("#1001 0", "more than zero"),
        ("#1001 25 euros", "not a currency"),
        ("#1001 25 EUR extra", "at most an amount and a currency"),
    ],
)
def test_a_bad_amount_is_said_as_such_in_the_ack(slack: SlackHarness, text: str, said: str) -> None:
    answer = ack_text(slack.command("/refund", text))
    assert said in answer and "No order found" not in answer
    assert "/refund <order> [amount] [currency]" in answer
    assert slack.fake.calls_to("views.open") == []


def test_the_currency_is_checked_against_the_order(slack: SlackHarness) -> None:
    slack.command("/refund", "#1003 25 DKK")  # #1003 was paid in Danish kroner
    form = last_view(slack)
    assert form["callback_id"] == CallbackId.REFUND_MODAL
    assert element(form, BlockId.F_AMOUNT)["initial_value"] == "25"

    slack.command("/refund", "#1003 25 EUR")
    said = block_texts(last_view(slack))
    assert "paid in DKK, not EUR" in said and "No order found" not in said


def test_an_amount_with_its_currency_opens_the_form(slack: SlackHarness) -> None:
    slack.command("/refund", "#1012 25,50 eur")
    form = last_view(slack)
    assert form["callback_id"] == CallbackId.REFUND_MODAL
    assert element(form, BlockId.F_AMOUNT)["initial_value"] == "25.50"


# -- 9: an amount on its own -------------------------------------------------------------------------


def test_an_amount_alone_is_refunded_against_the_payment(slack: SlackHarness) -> None:
    card = card_for(slack, "#1009")
    form = open_form(slack, card)
    no_reason = submit(slack, form, filled(form, quantities={}, amount="5", reason=None))
    assert "Choose a reason" in no_reason.json()["errors"][BlockId.F_REASON]

    submit(slack, form, filled(form, quantities={}, amount="5", reason="goodwill"))
    order_id = order_id_of(card)
    request = only_request(slack, order_id)
    assert (request.amount, request.lines, request.shipping) == (Decimal(5), (), Decimal(0))
    assert "an amount on its own" in block_texts(approval_messages(slack)[-1])

    click_in_approvals(slack, approval_messages(slack)[-1], ActionId.REFUND_APPROVE, LEAD)
    assert only_request(slack, order_id).status == RefundStatus.SUCCEEDED
    assert refunded(slack, order_id) == Decimal(5)
    left = slack.services.store.refund_quote(order_id, RefundChoice())
    assert all(li.refundable_quantity == li.quantity for li in left.lines)  # no item was used up for it


def test_an_amount_alone_never_exceeds_what_is_left(slack: SlackHarness) -> None:
    form = open_form(slack, card_for(slack, "#1009"))
    response = submit(slack, form, filled(form, quantities={}, amount="1000", reason="goodwill"))
    assert "can still be refunded" in response.json()["errors"][BlockId.F_AMOUNT]


# -- 12: the form's words; 7: Slack's limits ---------------------------------------------------------


def test_the_form_shows_whole_item_names_and_says_it_saves_a_request(slack: SlackHarness) -> None:
    form = open_form(slack, card_for(slack, "#1009"))
    labels = [b["label"]["text"] for b in form["blocks"] if b.get("block_id", "").startswith("f_line_")]
    assert any(label.startswith("Revontuli Beanie - One size / Aurora Green — 34.00 EUR each") for label in labels)
    response = submit(slack, form, filled(form, quantities={0: 1}))
    waiting = block_texts(response.json()["view"])
    assert "Saving the refund request" in waiting and "Sending the refund" not in waiting


def test_customer_and_item_names_are_escaped(db: Database) -> None:
    """Only the local store's data can be edited here; the views escape whatever the store says."""
    from integrations.local_store.seed import seed_demo_orders
    from integrations.local_store.store import LocalStore

    seed_demo_orders(db)
    evil = "<!channel> <https://evil.example|Verify>"
    with db.session(write=True) as s:
        # the shop names its orders too: "#1009" is only how this one starts
        s.execute(update(OrderRow).where(OrderRow.name == "#1009").values(customer_name=evil, name="#1009 <!here>"))
        order = s.query(OrderRow).filter(OrderRow.number == 1009).one()
        s.execute(update(LineItemRow).where(LineItemRow.order_id == order.id).values(name=f"Beanie {evil}"))
    slack = harness(db, LocalStore(db))
    try:
        card = card_for(slack, "#1009")
        form = open_form(slack, card)
        intro = next(b for b in form["blocks"] if b.get("block_id") == BlockId.F_INTRO)["text"]["text"]
        assert "<!channel>" not in intro and "&lt;!channel&gt;" in intro
        submit(slack, form, filled(form, quantities={0: 1}, note="<@U0LEAD001> please"))
        approval = approval_messages(slack)[-1]
        facts = block_texts(approval)  # the notification text and the blocks
        assert "<!channel>" not in facts and "<https://evil.example" not in facts and "<!here>" not in facts
        assert "&lt;!here&gt;" in approval["text"]
        assert "&lt;!channel&gt;" in facts and "&lt;@U0LEAD001&gt; please" in facts
        assert "<https://example.slack.com/archives/" in facts  # the thread link, built by link()
    finally:
        slack.close()


def test_a_quantity_of_a_hundred_or_more_is_typed_not_chosen_from_101_options(db: Database) -> None:
    from integrations.local_store.seed import seed_demo_orders
    from integrations.local_store.store import LocalStore

    seed_demo_orders(db)
    with db.session(write=True) as s:
        order = s.query(OrderRow).filter(OrderRow.name == "#1009").one()
        line = order.line_items[0]
        s.execute(update(LineItemRow).where(LineItemRow.id == line.id).values(quantity=150))
        total = order.total + line.price * 149
        s.execute(
            update(OrderRow)
            .where(OrderRow.id == order.id)
            .values(total=total, subtotal=order.subtotal + line.price * 149)
        )
    slack = harness(db, LocalStore(db))
    try:
        card = card_for(slack, "#1009")
        form = open_form(slack, card)  # the fake Slack refuses a select of more than 100 options
        quantity = element(form, refund_line_block_id(0))
        assert quantity["type"] == "number_input" and quantity["max_value"] == "150"
        values = filled(form, quantities={})
        values[refund_line_block_id(0)] = {ActionId.REFUND_QUANTITY: state_value(quantity, "120")}
        submit(slack, form, values)
        assert only_request(slack, order_id_of(card)).lines[0].quantity == 120
        values[refund_line_block_id(0)] = {ActionId.REFUND_QUANTITY: state_value(quantity, "151")}
        form = open_form(slack, card, user=LEAD)
        errors = submit(slack, form, values, user=LEAD).json()["errors"]
        assert "can still be refunded" in errors[refund_line_block_id(0)]
    finally:
        slack.close()
