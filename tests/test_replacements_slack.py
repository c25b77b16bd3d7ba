"""Replacements end to end: signed Slack requests into the bot, the fake Slack, and the store (local and Shopify),
on SQLite and PostgreSQL. An agent sends items again from the card or `/replace`; over the limit a team lead
approves it in the approvals channel (the refunds' machinery); the new order exists once with total 0.00 and the
tags, the original carries the note, and both cards say so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.common.approvers import Approvers
from bot.common.context import RefundSetup
from bot.common.ids import ActionId, BlockId, replace_line_block_id
from bot.shell.standin import (
    initial_values,
    interactive_form,
    signed_headers,
    state_value,
    view_submission_payload,
)
from commands.refunds import RefundPolicy
from commands.services import Services
from domain.orders import OrderQuery, SearchKind
from domain.refunds import RefundStatus, RequestKind
from domain.store import Store
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from storage import audit
from storage import refunds as states
from storage.db import Database
from tests.made_orders import orders_tagged
from tests.shopify_env import shopify
from tests.slack_harness import (
    AGENT,
    APPROVALS,
    CHANNEL,
    LEAD,
    SIGNING_SECRET,
    SlackHarness,
    ack_text,
    block_texts,
    start_harness,
)

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
LEADS = Approvers(user_ids=frozenset({LEAD}))


@pytest.fixture(params=["local", "shopify"])
def store(request: pytest.FixtureRequest, db: Database) -> Iterator[Store]:
    seed_demo_orders(db)
    if request.param == "local":
        yield LocalStore(db, clock=lambda: NOW)
        return
    with shopify() as (_fake, shopify_store):
        yield shopify_store


@pytest.fixture
def slack(db: Database, store: Store) -> Iterator[SlackHarness]:
    services = Services(db=db, store=store, clock=lambda: NOW)
    setup = RefundSetup(approvals_channel=APPROVALS, approvers=LEADS, policy=RefundPolicy(Decimal("50")))
    h = start_harness(services, refunds=setup)
    yield h
    h.close()
    h.fake.assert_no_errors()


# -- driving Slack -----------------------------------------------------------------------------------


def card_for(slack: SlackHarness, order: str) -> dict[str, Any]:
    slack.command("/order", order)
    return slack.posted()[-1]


def open_form(slack: SlackHarness, card: dict) -> dict[str, Any]:
    slack.click(card, ActionId.REPLACE_OPEN)
    view_id = slack.fake.calls_to("views.open")[-1].response["view"]["id"]
    return slack.fake.views[view_id]


def element(view: dict, block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


def filled(
    view: dict, quantities: dict[int, int], *, reason: str | None = "damaged", country: str | None = None,
    variants: dict[int, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    values = initial_values(view)
    for index, quantity in quantities.items():
        block = replace_line_block_id(index, "quantity")
        values[block] = {ActionId.REPLACE_QUANTITY: state_value(element(view, block), str(quantity))}
    for index, chosen in (variants or {}).items():
        block = replace_line_block_id(index, "variant")
        values[block] = {ActionId.REPLACE_VARIANT: {"type": "external_select", "selected_option": chosen}}
    if reason is not None:
        values[BlockId.P_REASON] = {ActionId.REPLACE_FIELD: state_value(element(view, BlockId.P_REASON), reason)}
    if country is not None:
        values[BlockId.P_COUNTRY] = {ActionId.REPLACE_FIELD: state_value(element(view, BlockId.P_COUNTRY), country)}
    return values


def submit(slack: SlackHarness, view: dict, values: dict, *, user: str = AGENT) -> httpx.Response:
    body = interactive_form(view_submission_payload(user, view, values))
    response = slack.post(body, headers=signed_headers(SIGNING_SECRET, body))
    slack.settle()
    return response


def suggestions(slack: SlackHarness, view: dict, typed: str) -> list[dict[str, Any]]:
    """What the variant picker of the first line offers for `typed`."""
    return slack.suggest(view, ActionId.REPLACE_VARIANT, replace_line_block_id(0, "variant"), typed)


def modal_text(slack: SlackHarness, view: dict) -> str:
    return block_texts(slack.fake.views[view["id"]])


def thread_texts(slack: SlackHarness, card: dict) -> str:
    return "\n".join(block_texts(m) for m in slack.fake.thread(CHANNEL, card["ts"])[1:])


def replacement_requests(slack: SlackHarness) -> list[states.RefundRequestView]:
    return [
        r for status in RefundStatus for r in states.with_status(slack.services.db, status)
        if r.kind is RequestKind.REPLACEMENT
    ]  # fmt: skip


def tagged(slack: SlackHarness, tag: str) -> list[str]:
    return [order.name for order in orders_tagged(slack.services.store, tag)]


# -- the happy paths ---------------------------------------------------------------------------------


def test_within_the_limit_a_replacement_is_made_at_once_and_both_cards_say_so(slack: SlackHarness) -> None:
    card = card_for(slack, "#1001")
    form = open_form(slack, card)
    response = submit(slack, form, filled(form, {1: 1}))  # one pack of socks, 29.90 ≤ 50
    assert response.json()["response_action"] == "update", response.text

    [made] = tagged(slack, "replacement")
    thread = thread_texts(slack, card)
    assert f"Replacement {made} created for #1001: 1 × Wool Hiking Socks 3-pack - 43-46" in thread
    assert f"Replacement {made} created" in modal_text(slack, form)
    assert "within the auto-approve limit" in thread

    original = block_texts(card_for(slack, "#1001"))
    assert f"Replacements sent: {made}" in original.replace("*", "")
    replacement = card_for(slack, made)
    assert "Replacement for #1001" in block_texts(replacement).replace("*", "")
    assert not any(  # a replacement gets no Replace button of its own
        e.get("action_id") == ActionId.REPLACE_OPEN for b in replacement["blocks"] for e in b.get("elements", [])
    )
    [request] = replacement_requests(slack)
    with slack.services.db.session() as s:
        actions = [e.action for e in audit.events_for(s, states.subject(request.id))]
    assert actions == ["replacement.requested", "replacement.approved", "replacement.executing",
                       "replacement.succeeded"]  # fmt: skip


def test_over_the_limit_a_lead_approves_it_and_the_requester_cannot(slack: SlackHarness) -> None:
    slack.command("/replace", "#1001")
    card = slack.posted()[-1]
    form = slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]
    submit(slack, form, filled(form, {0: 1}))  # the jacket: 289.00 > 50
    assert tagged(slack, "replacement") == []
    [approval] = slack.fake.messages(APPROVALS)
    text = block_texts(approval)
    assert "Replacement request #" in text and "Kaamos Down Jacket" in text and "289.00" in text
    assert "waiting for a team lead" in thread_texts(slack, card)

    slack.click(approval, ActionId.REFUND_APPROVE, user=AGENT, channel=APPROVALS)
    assert "another team lead has to decide it" in slack.responses()[-1]["text"]
    assert tagged(slack, "replacement") == []

    slack.click(approval, ActionId.REFUND_APPROVE, user=LEAD, channel=APPROVALS)
    [made] = tagged(slack, "replacement")
    assert f"Replacement {made} created" in thread_texts(slack, card)
    updated = slack.fake.message(APPROVALS, approval["ts"])
    assert updated is not None and f"Approved by <@{LEAD}>" in block_texts(updated)

    slack.click(approval, ActionId.REFUND_APPROVE, user=LEAD, channel=APPROVALS)  # a late second click
    assert tagged(slack, "replacement") == [made]


def test_a_double_submit_makes_one_replacement(slack: SlackHarness) -> None:
    card = card_for(slack, "#1001")
    form = open_form(slack, card)
    values = filled(form, {1: 1})
    submit(slack, form, values)
    submit(slack, form, values)  # Slack redelivers, or the agent's double click
    assert len(tagged(slack, "replacement")) == 1
    assert len(replacement_requests(slack)) == 1


def test_another_variant_from_the_picker(slack: SlackHarness) -> None:
    card = card_for(slack, "#1006")
    form = open_form(slack, card)
    offered = suggestions(slack, form, "socks 43")
    assert offered and len(offered) <= 100
    assert all("43-46" in o["text"]["text"] for o in offered)
    assert len(suggestions(slack, form, "")) <= 100
    submit(slack, form, filled(form, {1: 1}, variants={1: offered[0]}))
    [made] = tagged(slack, "replacement")
    order = slack.services.store.get_order(slack.services.store.find_orders(
        OrderQuery(SearchKind.NUMBER, made.lstrip("#")), 1)[0].ref.id)  # fmt: skip
    assert order is not None and [li.name for li in order.line_items] == ["Wool Hiking Socks 3-pack - 43-46"]


# -- bad input -------------------------------------------------------------------------------------


def test_bad_fields_are_refused_in_the_form(slack: SlackHarness) -> None:
    card = card_for(slack, "#1001")
    form = open_form(slack, card)
    nothing = submit(slack, form, filled(form, {0: 0, 1: 0}))
    assert nothing.json() == {
        "response_action": "errors", "errors": {replace_line_block_id(0, "quantity"): "Choose at least one item to "
                                                 "send again."},
    }  # fmt: skip
    bad = submit(slack, form, filled(form, {0: 1}, reason=None, country="Finland"))
    errors = bad.json()["errors"]
    assert errors[BlockId.P_COUNTRY].startswith("Give the country as its two-letter code")
    assert errors[BlockId.P_REASON] == "Choose why the items are sent again."
    assert replacement_requests(slack) == []


@pytest.mark.parametrize(("order", "why"), [("#1019", "not paid yet"), ("#1014", "was cancelled")])
def test_orders_that_cannot_have_one_say_why(slack: SlackHarness, order: str, why: str) -> None:
    card = card_for(slack, order)
    assert not any(e.get("action_id") == ActionId.REPLACE_OPEN for b in card["blocks"] for e in b.get("elements", []))
    slack.command("/replace", order)
    view = slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]
    assert why in block_texts(view)


def test_replace_without_an_order_is_answered_in_the_ack(slack: SlackHarness) -> None:
    response = slack.command("/replace", "")
    assert "/replace <order>" in ack_text(response)


def test_in_the_shell_an_agent_asks_and_the_lead_approves(db: Database) -> None:
    from tests.slack_harness import shell

    seed_demo_orders(db)
    services = Services(db=db, store=LocalStore(db, clock=lambda: NOW), clock=lambda: NOW)
    # socks: quantity 1, the same item; reason Damaged; the address as it was; then the lead approves
    out = shell(services, "/replace #1001", "", "", "1", "", "", "", "1", *[""] * 9, "as lead", "1")
    assert "Replacement request #1" in out and "Waiting for a team lead" in out
    made = [r for r in states.with_status(db, RefundStatus.SUCCEEDED) if r.kind is RequestKind.REPLACEMENT]
    assert len(made) == 1
    name = made[0].result["name"]
    assert f"Replacement {name} created for #1001" in out
    original = services.store.get_order(made[0].order_id)
    assert original is not None and f"Replacement {name} sent" in original.note
