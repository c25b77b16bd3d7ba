"""Refunds end to end: signed Slack requests into the bot, the fake Slack, and the store (local and Shopify).

An agent asks from the order card or `/refund`, a team lead decides in the approvals channel, the refund
happens once; races, faults and bad input are told in words and change nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.app import make_client
from bot.common.approvers import Approvers
from bot.common.context import BotContext, RefundSetup
from bot.common.ids import ActionId, BlockId, CallbackId, refund_line_block_id
from bot.lifecycle.notifier import SlackNotifier
from bot.shell.standin import (
    initial_values,
    interactive_form,
    signed_headers,
    state_value,
    view_block_actions_payload,
    view_submission_payload,
)
from commands import tick as ticks
from commands.refunds import RefundPolicy
from commands.services import Services
from domain.refunds import RefundStatus
from domain.store import RefundOutcomeUnknown, Store
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.shopify.client import RetryPolicy
from integrations.shopify.standin.refunds import refunds_applied
from storage import audit
from storage import refunds as states
from storage.db import Database
from tests.shopify_env import shopify
from tests.slack_harness import (
    AGENT,
    APPROVALS,
    CHANNEL,
    LEAD,
    LEAD2,
    SIGNING_SECRET,
    SlackHarness,
    ack_text,
    block_texts,
    start_harness,
)
from tests.test_shopify_refunds import impatient

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
LEADS = Approvers(user_ids=frozenset({LEAD}))


@pytest.fixture(params=["local", "shopify"])
def store(request: pytest.FixtureRequest, db: Database) -> Iterator[Store]:
    """Each test runs on the local store and on Shopify (the fake Admin API, refunds included)."""
    seed_demo_orders(db)
    if request.param == "local":
        yield LocalStore(db)
        return
    with shopify() as (_fake, shopify_store):
        yield shopify_store


def harness(db: Database, store: Store, **setup: Any) -> SlackHarness:
    services = Services(db=db, store=store, clock=lambda: NOW)
    usergroups = setup.pop("usergroups", None)
    options = {"approvals_channel": APPROVALS, "approvers": LEADS, "policy": RefundPolicy(Decimal(0)), **setup}
    return start_harness(services, refunds=RefundSetup(**options), usergroups=usergroups)


@pytest.fixture
def slack(db: Database, store: Store) -> Iterator[SlackHarness]:
    h = harness(db, store)
    yield h
    h.close()
    h.fake.assert_no_errors()


# -- driving Slack -----------------------------------------------------------------------------------


def card_for(slack: SlackHarness, order: str) -> dict[str, Any]:
    slack.command("/order", order)
    return slack.posted()[-1]


def open_form(slack: SlackHarness, card: dict, *, user: str = AGENT) -> dict[str, Any]:
    slack.click(card, ActionId.REFUND_OPEN, user=user)
    view_id = slack.fake.calls_to("views.open")[-1].response["view"]["id"]
    return slack.fake.views[view_id]


def element(view: dict, block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


def filled(
    view: dict, *, quantities: dict[int, int] | None = None, reason: str | None = "damaged", amount: str | None = None,
    shipping: str | None = None, restock: bool | None = None, note: str | None = None,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The form's state after the agent chose: line index -> quantity, a reason, an amount, shipping."""
    values = initial_values(view)
    for index, quantity in (quantities or {}).items():
        block = refund_line_block_id(index)
        values[block] = {ActionId.REFUND_QUANTITY: state_value(element(view, block), str(quantity))}
    if reason is not None:
        values[BlockId.F_REASON] = {ActionId.REFUND_FIELD: state_value(element(view, BlockId.F_REASON), reason)}
    if amount is not None:
        values[BlockId.F_AMOUNT] = {ActionId.REFUND_FIELD: state_value(element(view, BlockId.F_AMOUNT), amount)}
    if shipping is not None:
        values[BlockId.F_SHIPPING] = {ActionId.REFUND_RECALC: state_value(element(view, BlockId.F_SHIPPING), shipping)}
    if note is not None:
        values[BlockId.F_NOTE] = {ActionId.REFUND_FIELD: state_value(element(view, BlockId.F_NOTE), note)}
    if restock is not None:
        chosen = ["yes"] if restock else []
        values[BlockId.F_RESTOCK] = {ActionId.REFUND_RECALC: state_value(element(view, BlockId.F_RESTOCK), chosen)}
    return values


def submit(slack: SlackHarness, view: dict, values: dict, *, user: str = AGENT) -> httpx.Response:
    body = interactive_form(view_submission_payload(user, view, values))
    response = slack.post(body, headers=signed_headers(SIGNING_SECRET, body))
    slack.settle()
    return response


def approval_messages(slack: SlackHarness) -> list[dict[str, Any]]:
    return slack.fake.messages(APPROVALS)


def thread_texts(slack: SlackHarness, card: dict) -> str:
    return "\n".join(block_texts(m) for m in slack.fake.thread(CHANNEL, card["ts"])[1:])


def request_refund(slack: SlackHarness, order: str, **choices: Any) -> tuple[dict, dict]:
    """Card, form, one unit of the first line (unless told otherwise), submitted: (card, approval message)."""
    card = card_for(slack, order)
    form = open_form(slack, card)
    response = submit(slack, form, filled(form, **({"quantities": {0: 1}} | choices)))
    assert response.status_code == 200 and response.json()["response_action"] == "update", response.text
    return card, (approval_messages(slack) or [{}])[-1]


def click_in_approvals(slack: SlackHarness, message: dict, action: str, user: str) -> None:
    current = slack.fake.message(APPROVALS, message["ts"])
    assert current is not None
    slack.click(current, action, user=user, channel=APPROVALS)


def told(slack: SlackHarness) -> str:
    return slack.responses()[-1]["text"]


def only_request(slack: SlackHarness, order_id: str) -> states.RefundRequestView:
    [request] = states.for_order(slack.services.db, order_id)
    return request


def order_id_of(card: dict) -> str:
    return next(
        e["value"] for b in card["blocks"] for e in b.get("elements", []) if e.get("action_id") == "refund_open"
    )


def refunded(slack: SlackHarness, order_id: str) -> Decimal:
    order = slack.services.store.get_order(order_id)
    assert order is not None
    return order.refunded.amount


# -- the happy paths ---------------------------------------------------------------------------------


def test_request_then_a_lead_approves_and_the_refund_happens_once(slack: SlackHarness) -> None:
    card, approval = request_refund(slack, "#1009", note="Seam came open")
    order_id = order_id_of(card)
    request = only_request(slack, order_id)
    assert request.status == RefundStatus.PENDING_APPROVAL and request.requested_by == AGENT
    facts = block_texts(approval)
    assert "#1009" in facts and "Arrived damaged" in facts and f"<@{AGENT}>" in facts and "Seam came open" in facts
    assert "https://example.slack.com/archives/" in facts  # the link to the order's thread
    assert "waiting for a team lead's approval" in thread_texts(slack, card)
    assert refunded(slack, order_id) == 0

    click_in_approvals(slack, approval, ActionId.REFUND_APPROVE, LEAD)

    done = only_request(slack, order_id)
    assert done.status == RefundStatus.SUCCEEDED and done.decided_by == LEAD and done.store_refund_id
    assert refunded(slack, order_id) == done.amount > 0
    updated = slack.fake.message(APPROVALS, approval["ts"])
    assert f"Approved by <@{LEAD}>. Refunded" in block_texts(updated)
    assert not any(b.get("block_id") == BlockId.REFUND_ACTIONS for b in updated["blocks"])  # no buttons left
    assert "✅ Refunded" in thread_texts(slack, card)
    with slack.services.db.session() as s:
        actions = [e.action for e in audit.events_for(s, states.subject(done.id))]
    assert actions == ["refund.requested", "refund.approved", "refund.executing", "refund.succeeded"]

    slack.click(approval, ActionId.REFUND_APPROVE, user=LEAD, channel=APPROVALS)  # a stale screen, clicked late
    assert "already approved" in told(slack)
    assert refunded(slack, order_id) == done.amount


def test_a_lead_rejects_with_a_reason_and_the_agent_reads_it(slack: SlackHarness) -> None:
    card, approval = request_refund(slack, "#1009")
    click_in_approvals(slack, approval, ActionId.REFUND_REJECT, LEAD)
    modal = slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]
    assert modal["callback_id"] == CallbackId.REFUND_REJECT_MODAL

    empty = submit(slack, modal, initial_values(modal), user=LEAD)
    assert BlockId.F_REJECT_REASON in empty.json()["errors"]
    values = {
        BlockId.F_REJECT_REASON: {ActionId.REFUND_FIELD: {"type": "plain_text_input", "value": "Outside 30 days"}}
    }
    assert submit(slack, modal, values, user=LEAD).status_code == 200

    request = only_request(slack, order_id_of(card))
    assert request.status == RefundStatus.REJECTED and request.reject_reason == "Outside 30 days"
    assert "Rejected by" in block_texts(slack.fake.message(APPROVALS, approval["ts"]))
    assert "was rejected by" in thread_texts(slack, card) and "Outside 30 days" in thread_texts(slack, card)
    assert refunded(slack, request.order_id) == 0


def test_under_the_limit_the_refund_needs_no_approval(db: Database, store: Store) -> None:
    slack = harness(db, store, policy=RefundPolicy(Decimal("10")))
    try:
        card, _ = request_refund(slack, "#1009", quantities={}, shipping="3.90")
        request = only_request(slack, order_id_of(card))
        assert request.status == RefundStatus.SUCCEEDED and request.decided_by == states.AUTO
        assert approval_messages(slack) == []
        assert "within the auto-approve limit" in thread_texts(slack, card)
        assert refunded(slack, request.order_id) == Decimal("3.90")
    finally:
        slack.close()


def test_refund_command_opens_the_form_with_the_amount(slack: SlackHarness) -> None:
    response = slack.command("/refund", "#1012 20,50")
    assert ack_text(response) == ""
    form = slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]
    assert form["callback_id"] == CallbackId.REFUND_MODAL
    assert element(form, BlockId.F_AMOUNT)["initial_value"] == "20.50"
    card = slack.posted()[-1]
    assert "Order #1012" in block_texts(card)  # the card, whose thread gets the outcome
    submit(slack, form, filled(form, quantities={0: 1}, amount="20.50"))
    request = only_request(slack, order_id_of(card))
    assert request.amount == Decimal("20.50") and request.slack_thread_ts == card["ts"]


def test_the_total_follows_the_choices(slack: SlackHarness) -> None:
    form = open_form(slack, card_for(slack, "#1016"))
    values = filled(form, quantities={0: 2})
    body = interactive_form(
        view_block_actions_payload(AGENT, form, refund_line_block_id(0), ActionId.REFUND_QUANTITY, values)
    )
    assert slack.post(body).status_code == 200
    slack.settle()
    redrawn = slack.fake.views[form["id"]]
    total = next(b for b in redrawn["blocks"] if b.get("block_id") == BlockId.F_TOTAL)
    assert "Total to refund:" in total["text"]["text"] and "EUR" in total["text"]["text"]
    assert element(redrawn, refund_line_block_id(0))["initial_option"]["value"] == "2"  # the choice is kept


# -- who may decide ----------------------------------------------------------------------------------


def test_the_requester_cannot_approve_their_own_refund_even_as_a_lead(db: Database, store: Store) -> None:
    slack = harness(db, store, approvers=Approvers(user_ids=frozenset({AGENT, LEAD})))
    try:
        card, approval = request_refund(slack, "#1009")
        click_in_approvals(slack, approval, ActionId.REFUND_APPROVE, AGENT)
        assert "another team lead has to decide it" in told(slack)
        assert only_request(slack, order_id_of(card)).status == RefundStatus.PENDING_APPROVAL
        assert refunded(slack, order_id_of(card)) == 0
    finally:
        slack.close()


def test_someone_who_is_not_a_lead_changes_nothing(slack: SlackHarness) -> None:
    card, approval = request_refund(slack, "#1009")
    for action in (ActionId.REFUND_APPROVE, ActionId.REFUND_REJECT):
        click_in_approvals(slack, approval, action, LEAD2)
        assert told(slack) == "Only team leads can approve or reject a refund request."
    assert only_request(slack, order_id_of(card)).status == RefundStatus.PENDING_APPROVAL
    assert all(v["callback_id"] != CallbackId.REFUND_REJECT_MODAL for v in slack.fake.views.values())


def test_approvers_come_from_the_user_group_or_the_id_list_on_a_free_plan(db: Database, store: Store) -> None:
    groups = {"S0LEADS": [LEAD2]}
    slack = harness(db, store, approvers=Approvers("S0LEADS", frozenset({LEAD})), usergroups=groups)
    try:
        _, approval = request_refund(slack, "#1009")
        click_in_approvals(slack, approval, ActionId.REFUND_APPROVE, LEAD)  # in the id list, not in the group
        assert told(slack).startswith("Only team leads")
        click_in_approvals(slack, approval, ActionId.REFUND_APPROVE, LEAD2)
        assert "Refunded" in block_texts(slack.fake.message(APPROVALS, approval["ts"]))
    finally:
        slack.close()

    slack = harness(db, store, approvers=Approvers("S0LEADS", frozenset({LEAD})), usergroups=groups)
    slack.fake.usergroups_plan_upgrade_required = True
    try:
        _, approval = request_refund(slack, "#1012")
        click_in_approvals(slack, approval, ActionId.REFUND_APPROVE, LEAD)
        assert "Refunded" in block_texts(slack.fake.message(APPROVALS, approval["ts"]))
    finally:
        slack.close()


# -- races -------------------------------------------------------------------------------------------


def test_two_leads_and_a_double_click_at_once_make_one_refund(db: Database, store: Store) -> None:
    slack = harness(db, store, approvers=Approvers(user_ids=frozenset({LEAD, LEAD2})))
    try:
        card, approval = request_refund(slack, "#1009")
        current = slack.fake.message(APPROVALS, approval["ts"])
        clicks = [(LEAD, ActionId.REFUND_APPROVE), (LEAD, ActionId.REFUND_APPROVE), (LEAD2, ActionId.REFUND_APPROVE)]
        threads = [
            threading.Thread(target=slack.click, args=(current, action), kwargs={"user": user, "channel": APPROVALS})
            for user, action in clicks
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        slack.settle()
        request = only_request(slack, order_id_of(card))
        assert request.status == RefundStatus.SUCCEEDED and request.attempts == 1
        assert refunded(slack, request.order_id) == request.amount
        losers = [r["text"] for r in slack.responses() if "already approved" in r["text"] or "right now" in r["text"]]
        assert len(losers) == 2
    finally:
        slack.close()


def test_the_same_form_submitted_twice_is_one_request(slack: SlackHarness) -> None:
    form = open_form(slack, card_for(slack, "#1009"))
    values = filled(form, quantities={0: 1})
    submit(slack, form, values)
    submit(slack, form, values)
    assert len(approval_messages(slack)) == 1
    assert len(states.with_status(slack.services.db, RefundStatus.PENDING_APPROVAL)) == 1


# -- faults ------------------------------------------------------------------------------------------


def test_a_store_timeout_offers_retry_which_refunds_once(slack: SlackHarness) -> None:
    real = slack.services.store
    keys: list[str] = []

    class TimesOutOnce:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def create_refund(self, plan, *, idempotency_key):
            keys.append(idempotency_key)
            result = real.create_refund(plan, idempotency_key=idempotency_key)  # the store applies it…
            if len(keys) == 1:
                raise RefundOutcomeUnknown("The store did not confirm the refund in time.")  # …the answer is lost
            return result

    slack.services.store = TimesOutOnce()  # type: ignore[assignment]
    card, approval = request_refund(slack, "#1009")
    click_in_approvals(slack, approval, ActionId.REFUND_APPROVE, LEAD)
    request = only_request(slack, order_id_of(card))
    assert request.status == RefundStatus.FAILED and "did not confirm" in request.failure
    failed = slack.fake.message(APPROVALS, approval["ts"])
    assert "but it failed" in block_texts(failed)
    assert "Retry" in thread_texts(slack, card)

    click_in_approvals(slack, failed, ActionId.REFUND_RETRY, LEAD)
    request = only_request(slack, order_id_of(card))
    assert request.status == RefundStatus.SUCCEEDED and request.attempts == 2
    assert keys == [request.idempotency_key] * 2
    assert refunded(slack, request.order_id) == request.amount  # once, although the store was called twice


def test_without_an_approvals_channel_the_request_is_kept_and_can_be_posted_later(db: Database, store: Store) -> None:
    slack = harness(db, store)
    slack.fake.not_member_channels.add(APPROVALS)
    try:
        card, _ = request_refund(slack, "#1009")
        request = only_request(slack, order_id_of(card))
        assert request.status == RefundStatus.PENDING_APPROVAL and not request.slack_approval_ts
        status = slack.fake.thread(CHANNEL, card["ts"])[-1]
        assert "couldn't post it for approval" in block_texts(status) and "/invite" in block_texts(status)
        assert "saved but not yet before a team lead" in block_texts(
            slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]
        )

        slack.fake.not_member_channels.discard(APPROVALS)
        slack.click(status, ActionId.REFUND_REPOST)
        assert len(approval_messages(slack)) == 1
        assert "waiting for a team lead" in block_texts(slack.fake.message(CHANNEL, status["ts"]))
    finally:
        slack.close()


# -- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "answer"),
    [
        ("#1007", "was cancelled"),
        ("#1019", "not captured yet"),
        ("#1004", "already fully refunded"),
        ("#9999", "No order found"),
    ],
)
def test_orders_with_nothing_to_refund_are_explained(slack: SlackHarness, order: str, answer: str) -> None:
    slack.command("/refund", order)
    view = slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]
    assert answer in block_texts(view)
    assert states.with_status(slack.services.db, RefundStatus.PENDING_APPROVAL) == []


def test_refund_command_without_an_order_says_how(slack: SlackHarness) -> None:
    assert "/refund <order> [amount]" in ack_text(slack.command("/refund", "  "))


@pytest.mark.parametrize(
    ("choices", "block", "message"),
    [
        ({"amount": "abc"}, BlockId.F_AMOUNT, "is not an amount"),
        ({"amount": "-5"}, BlockId.F_AMOUNT, "more than zero"),
        ({"amount": "0"}, BlockId.F_AMOUNT, "more than zero"),
        ({"amount": "1.234"}, BlockId.F_AMOUNT, "EUR has 2 decimals"),
        ({"amount": "99999"}, BlockId.F_AMOUNT, "can still be refunded"),
        ({"shipping": "50"}, BlockId.F_SHIPPING, "of shipping can still be refunded"),
        ({"quantities": {0: 0}}, refund_line_block_id(0), "Choose at least one item"),
        ({"reason": None}, BlockId.F_REASON, "Choose a reason"),
    ],
)
def test_bad_choices_are_field_errors(slack: SlackHarness, choices: dict, block: str, message: str) -> None:
    form = open_form(slack, card_for(slack, "#1009"))
    response = submit(slack, form, filled(form, **({"quantities": {0: 1}} | choices)))
    errors = response.json()["errors"]
    assert message in errors[block]
    assert states.with_status(slack.services.db, RefundStatus.PENDING_APPROVAL) == []


def test_more_units_than_refundable_is_a_field_error(slack: SlackHarness) -> None:
    form = open_form(slack, card_for(slack, "#1009"))
    values = filled(form, quantities={0: 1})
    option = {"text": {"type": "plain_text", "text": "5"}, "value": "5"}  # a forged option
    values[refund_line_block_id(0)] = {ActionId.REFUND_QUANTITY: {"type": "static_select", "selected_option": option}}
    errors = submit(slack, form, values).json()["errors"]
    assert "can still be refunded" in errors[refund_line_block_id(0)]


def test_shopify_applies_then_times_out_and_retry_finds_the_same_refund(db: Database) -> None:
    seed_demo_orders(db)
    # the client retries with the same key within its budget; here every try times out until the budget is spent
    with shopify() as (fake, _store), impatient(fake, RetryPolicy(budget_seconds=1.0, base_backoff=0.01)) as store:
        slack = harness(db, store)
        try:
            card, approval = request_refund(slack, "#1009")
            order_id = order_id_of(card)
            fake.fail_next("apply_then_timeout", times=100, operation="RefundCreate")
            click_in_approvals(slack, approval, ActionId.REFUND_APPROVE, LEAD)
            request = only_request(slack, order_id)
            assert request.status == RefundStatus.FAILED and refunds_applied(fake, order_id) == 1

            fake.clear_faults()
            click_in_approvals(slack, approval, ActionId.REFUND_RETRY, LEAD)
            request = only_request(slack, order_id)
            assert request.status == RefundStatus.SUCCEEDED
            assert refunds_applied(fake, order_id) == 1  # the same key: Shopify answered with the first refund
            calls = fake.calls_named("RefundCreate")
            assert len(calls) >= 2 and {c.directives["idempotent"]["key"] for c in calls} == {request.idempotency_key}
        finally:
            slack.close()


def test_a_refund_interrupted_by_a_stop_is_made_by_the_next_tick(slack: SlackHarness) -> None:
    card, approval = request_refund(slack, "#1009")
    db = slack.services.db
    request = only_request(slack, order_id_of(card))
    assert states.approve(db, request.id, approver=LEAD, at=NOW).won
    crashed = states.start_execution(db, request.id, actor=LEAD, at=NOW)  # …and the instance stopped here
    assert crashed.won

    later = Services(db=db, store=slack.services.store, clock=lambda: NOW + timedelta(minutes=30))
    ctx = BotContext(later, slack.worker, refunds=RefundSetup(approvals_channel=APPROVALS, approvers=LEADS))
    notifier = SlackNotifier(make_client("xoxb-test", slack.fake.url), ctx)
    assert ticks.tick(later, notifier, now=later.clock(), owner="next").recovered == 1

    request = only_request(slack, order_id_of(card))
    assert request.status == RefundStatus.SUCCEEDED and request.attempts == 2  # the same key, once more
    assert refunded(slack, request.order_id) == request.amount
    assert "Refunded" in block_texts(slack.fake.message(APPROVALS, approval["ts"]))
    late = states.finish(db, request.id, attempt=1, succeeded=False, failure="late report", at=NOW)
    assert not late.won  # the interrupted attempt cannot overwrite the outcome
