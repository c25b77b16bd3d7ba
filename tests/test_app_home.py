"""The Home tab: opened (`app_home_opened`), it shows the person's open returns with their state and age, overdue
ones first, with Mark received; a team lead sees the refunds waiting for approval with Approve and Reject."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.common.ids import ActionId
from bot.lifecycle.home import MAX_HOME_REFUNDS, MAX_HOME_RETURNS, home_view
from bot.shell.standin import (
    app_home_opened_body,
    home_block_actions_payload,
    interactive_form,
    signed_headers,
    validate_view,
)
from commands import returns
from commands.refunds import RefundStatus
from commands.tick import RefundSummary
from domain.vocabulary import ReturnStatus
from integrations.mail import SmtpMailer
from storage import refunds as stored_refunds
from storage.db import Database
from storage.returns import CaseView
from tests.lifecycle_env import make_services
from tests.slack_harness import AGENT, LEAD, SIGNING_SECRET, block_texts
from tests.smtp_sink import Sink
from tests.test_lifecycle_slack import SETTINGS, WAREHOUSE_USER, Bot, instant_return, receipt_form, start_bot, submit
from tests.test_refunds_slack import request_refund


@pytest.fixture
def bot(db: Database, tmp_path: Path, mail: tuple[str, Sink]) -> Iterator[Bot]:
    started = start_bot(make_services(db, tmp_path, mailer=SmtpMailer(mail[0]), settings=SETTINGS), mail[1])
    yield started
    started.slack.close()
    started.slack.fake.assert_no_errors()


@pytest.fixture
def mail() -> Iterator[tuple[str, Sink]]:
    from tests.smtp_sink import smtp_sink

    with smtp_sink() as sink:
        yield sink


def open_home(bot: Bot, user: str) -> dict[str, Any]:
    """What Slack sends when `user` opens the Home tab; the tab the bot published for them."""
    before = len(bot.slack.fake.calls_to("views.publish"))
    assert post_event(bot, app_home_opened_body(user, view=bot.slack.fake.home(user))).status_code == 200
    bot.slack.settle()
    assert len(bot.slack.fake.calls_to("views.publish")) == before + 1
    home = bot.slack.fake.home(user)
    assert home is not None
    return home


def post_event(bot: Bot, body: str) -> httpx.Response:
    """An Events API request, as Slack sends it: JSON, signed."""
    headers = signed_headers(SIGNING_SECRET, body) | {"Content-Type": "application/json"}
    return bot.slack.post(body, headers=headers)


def press_on_home(bot: Bot, home: dict[str, Any], action_id: str, value: str, *, user: str) -> None:
    element = next(
        e for b in home["blocks"] for e in ([b["accessory"]] if b.get("accessory") else b.get("elements", []))
        if e.get("action_id") == action_id and e.get("value") == value
    )  # fmt: skip
    response = bot.slack.post(interactive_form(home_block_actions_payload(user, home, element)))
    assert response.status_code == 200
    bot.slack.settle()


def test_the_agent_sees_their_open_returns_overdue_first_and_marks_one_received(bot: Bot) -> None:
    _card, old = instant_return(bot, "#1001")
    bot.tick(days=15)
    _card, new = instant_return(bot, "#1002")
    home = open_home(bot, AGENT)
    text = block_texts(home)
    assert text.index(old) < text.index(new)  # overdue first
    assert "label created · 15 days · ⚠️ *overdue*" in text and "label created · today" in text
    assert "Refunds waiting" not in text  # not a team lead

    press_on_home(bot, home, ActionId.RETURN_RECEIVE, old, user=WAREHOUSE_USER)
    submit(bot, receipt_form(bot))
    assert returns.get_case(bot.services.db, old).status is ReturnStatus.RECEIVED
    assert old not in block_texts(open_home(bot, AGENT))  # received: no longer open

    assert "no open returns" in block_texts(open_home(bot, WAREHOUSE_USER))
    assert post_event(bot, app_home_opened_body(AGENT, tab="messages")).status_code == 200
    bot.slack.settle()
    assert len(bot.slack.fake.calls_to("views.publish")) == 3  # the Messages tab publishes nothing


def test_a_lead_sees_the_refunds_waiting_with_approve_and_reject(bot: Bot) -> None:
    request_refund(bot.slack, "#1009")
    [waiting] = stored_refunds.with_status(bot.services.db, RefundStatus.PENDING_APPROVAL)
    home = open_home(bot, LEAD)
    text = block_texts(home)
    assert f"Refund request #{waiting.id}" in text and "#1009" in text and f"<@{AGENT}>" in text
    actions = [
        (e["action_id"], e["value"]) for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]  # fmt: skip
    assert actions == [(ActionId.REFUND_APPROVE, str(waiting.id)), (ActionId.REFUND_REJECT, str(waiting.id))]
    assert "Refunds waiting" not in block_texts(open_home(bot, AGENT))


def test_approve_from_the_home_tab_refunds(bot: Bot) -> None:
    request_refund(bot.slack, "#1009")
    [waiting] = stored_refunds.with_status(bot.services.db, RefundStatus.PENDING_APPROVAL)
    press_on_home(bot, open_home(bot, LEAD), ActionId.REFUND_APPROVE, str(waiting.id), user=LEAD)
    assert stored_refunds.get(bot.services.db, waiting.id).status is RefundStatus.SUCCEEDED


def test_reject_from_the_home_tab_opens_the_reason_form(bot: Bot) -> None:
    request_refund(bot.slack, "#1009")
    [waiting] = stored_refunds.with_status(bot.services.db, RefundStatus.PENDING_APPROVAL)
    press_on_home(bot, open_home(bot, LEAD), ActionId.REFUND_REJECT, str(waiting.id), user=LEAD)
    opened = bot.slack.fake.calls_to("views.open")[-1].response["view"]
    assert opened["callback_id"] == "refund_reject_modal"


# -- the view alone ------------------------------------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def case(n: int, age: int) -> CaseView:
    return CaseView(
        rma=f"R{n}-1", order_id=str(n), order_name=f"#{n}", status=ReturnStatus.IN_TRANSIT, delivery="drop_off",  # type: ignore[arg-type]
        pickup_date=None, items=[{"line_item_id": "1", "name": "Socks <b>", "sku": "", "quantity": 2, "reason": "x"}],
        customer_email="a@example.com", email_customer=True, requested_by=AGENT,
        created_at=NOW - timedelta(days=age), slack_channel="C1", slack_thread_ts="1.1",
    )  # fmt: skip


def test_the_home_view_stays_within_slacks_limits_however_much_there_is() -> None:
    cases = [case(n, n % 40) for n in range(1000, 1100)]
    refunds = [RefundSummary(n, f"#{n}", "10.00 EUR", AGENT, NOW - timedelta(days=2)) for n in range(60)]
    view = home_view(cases, NOW, overdue_days=14, refunds=refunds, notice="⚠️ Something to say")
    validate_view(view)
    assert len(view["blocks"]) <= 100
    text = block_texts(view)
    assert f"…and {100 - MAX_HOME_RETURNS} more" in text and f"…and {60 - MAX_HOME_REFUNDS} more" in text
    assert "Socks &lt;b&gt;" in text  # the shop's words, escaped
    ages = [int(t.split(" · in transit · ")[1].split(" ")[0]) for t in text.splitlines() if " · in transit · " in t]
    assert ages == sorted(ages, reverse=True) and ages[0] == 39  # the oldest first: the overdue ones on top
