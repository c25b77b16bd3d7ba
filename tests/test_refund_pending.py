"""Refund requests waiting for a team lead are seen: the order card lists them (amount, who asked, when), the refund
form shows them and offers only what is left, and a second request can never promise the same money twice. Through
the Slack stand-in, on the local store and on Shopify, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bot.common.ids import BlockId, refund_line_block_id
from domain.money import Money
from domain.refunds import RefundChoice, RefundStatus
from domain.store import Store
from storage import refunds as states
from storage.db import Database
from tests.slack_harness import AGENT, LEAD, SlackHarness, block_texts
from tests.test_refunds_slack import (
    card_for,
    element,
    filled,
    harness,
    open_form,
    order_id_of,
    store,  # noqa: F401  (the fixture: each test on both stores)
    submit,
)


@pytest.fixture
def slack(db: Database, store: Store) -> Iterator[SlackHarness]:  # noqa: F811
    h = harness(db, store)
    yield h
    h.close()
    h.fake.assert_no_errors()


def _form_opened_by_command(slack: SlackHarness, text: str, user: str) -> dict[str, Any]:
    slack.command("/refund", text, user=user)
    return slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]


def _text(view: dict[str, Any], block_id: str) -> str:
    return str(next(b for b in view["blocks"] if b.get("block_id") == block_id)["text"]["text"])


def test_the_card_and_the_form_show_a_waiting_request_and_offer_only_what_is_left(slack: SlackHarness) -> None:
    card = card_for(slack, "#1016")
    order_id = order_id_of(card)
    assert BlockId.ORDER_REFUNDS_PENDING not in str(card["blocks"])  # nothing asked for yet
    before = slack.services.store.refund_quote(order_id, RefundChoice())
    first_line = next(li for li in before.lines if li.refundable_quantity > 0)

    form = open_form(slack, card)
    submit(slack, form, filled(form, quantities={0: 1}))
    [request] = states.for_order(slack.services.db, order_id)
    assert request.status is RefundStatus.PENDING_APPROVAL
    asked = Money(request.amount, request.currency)

    # a team lead (who may add a request beside it) types /refund for the same order
    lead_form = _form_opened_by_command(slack, "#1016", LEAD)
    again = slack.posted()[-1]
    pending = next(b for b in again["blocks"] if b.get("block_id") == BlockId.ORDER_REFUNDS_PENDING)
    listed = pending["text"]["text"]
    assert f"#{request.id}: {asked} requested by <@{AGENT}>" in listed and "<!date^" in listed
    assert "waiting for a team lead" in listed

    intro = _text(lead_form, BlockId.F_INTRO)
    assert f"#{request.id}: {asked} asked for by <@{AGENT}>" in intro and "only what is left" in intro
    left = before.maximum - asked
    assert f"at most {left} can still be refunded" in _text(lead_form, BlockId.F_TOTAL)
    first = element(lead_form, refund_line_block_id(0))
    most = first_line.refundable_quantity - 1  # one unit is in the waiting request
    offered = [o["value"] for o in first.get("options", [])] or [first.get("max_value")]
    assert offered[-1] == str(most) or (most == 0 and first_line.name not in str(lead_form["blocks"]))

    # asking for more than is left beside the waiting request is refused, and nothing is recorded
    too_much = str(left.amount + Decimal("0.01"))
    response = submit(slack, lead_form, filled(lead_form, quantities={}, amount=too_much), user=LEAD)
    answer = str(response.json())
    assert f"Only {left}" in answer or f"Only {left}" in str(slack.fake.views)
    assert len(states.for_order(slack.services.db, order_id)) == 1


def test_an_agent_asking_again_sees_the_open_request_instead_of_a_second_form(slack: SlackHarness) -> None:
    card = card_for(slack, "#1016")
    form = open_form(slack, card)
    submit(slack, form, filled(form, quantities={0: 1}))
    [request] = states.for_order(slack.services.db, order_id_of(card))

    shown = _form_opened_by_command(slack, "#1016", AGENT)
    said = block_texts(shown)
    assert f"already has an open refund request: #{request.id}" in said
    assert "Request refund" not in str(shown.get("submit", ""))  # no form: a message
    assert f"#{request.id}:" in block_texts(slack.posted()[-1])  # the card posted with it lists the request
    assert len(states.for_order(slack.services.db, order_id_of(card))) == 1
