"""A return after its label, in Slack, end to end: signed requests into the real Bolt app, the fake Slack, a real
SMTP server, the scheduler's tick with the Slack notifier, time injected (a clock that moves only when told).

Return → day 14 reminder in the thread and the customer's e-mail → day 21 escalation to the leads → Mark received →
the follow-up e-mail → nothing more; on the local store and on Shopify, SQLite and PostgreSQL. Also: one receipt
for two presses at once, the form's field errors, Remind customer once per press, Snooze of a received return,
Close (customer keeps it), Refund now prefilled with what came back, the digest and Slack's rate limit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import make_client
from bot.common.approvers import Approvers
from bot.common.context import BotContext, RefundSetup
from bot.common.ids import ActionId, BlockId, CallbackId, ReturnMenu, receipt_block_id
from bot.lifecycle.notifier import SlackNotifier
from bot.shell.standin import block_actions_payload, initial_values, interactive_form, view_submission_payload
from commands import returns
from commands import tick as ticks
from commands.services import LifecycleSettings, Services
from domain.store import Store
from domain.vocabulary import ReturnStatus
from integrations.local_store.seed import seed_demo_orders
from integrations.mail import SmtpMailer
from integrations.shopify.standin.returns import install_returns
from storage.db import Database
from tests.lifecycle_env import clock_of, make_services, order_id
from tests.shopify_env import shopify
from tests.slack_harness import AGENT, CHANNEL, LEAD, LEAD2, SlackHarness, block_texts, find_element, start_harness
from tests.smtp_sink import Sink, smtp_sink

APPROVALS = "C0APPROVE1"
DIGESTS = "C0DIGEST01"
WAREHOUSE_USER = LEAD2  # anyone in the channel may press Mark received: the warehouse does
SETTINGS = LifecycleSettings(escalation_channel=APPROVALS, digest_channel=DIGESTS)


@dataclass
class Bot:
    """The Slack harness, and the scheduler's tick as `returnbot run` does it, on the same fake Slack."""

    slack: SlackHarness
    notifier: SlackNotifier
    mail: Sink

    @property
    def services(self) -> Services:
        return self.slack.services

    def tick(self, **moved: int) -> ticks.TickReport:
        """Move the clock on (days=, hours=), then one tick as of then."""
        clock_of(self.services).advance(timedelta(**moved))
        report = ticks.tick(self.services, self.notifier, now=self.services.clock(), owner="test")
        self.slack.settle()
        return report


def start_bot(services: Services, mail: Sink) -> Bot:
    setup = RefundSetup(approvals_channel=APPROVALS, approvers=Approvers(user_ids=frozenset({LEAD})))
    slack = start_harness(services, refunds=setup)
    ctx = BotContext(services, slack.worker, refunds=setup)
    return Bot(slack, SlackNotifier(make_client("xoxb-test", slack.fake.url), ctx), mail)


@pytest.fixture
def mail() -> Iterator[tuple[str, Sink]]:
    with smtp_sink() as sink:
        yield sink


@pytest.fixture
def bot(db: Database, tmp_path: Path, mail: tuple[str, Sink]) -> Iterator[Bot]:
    """The local store (the end-to-end test runs on Shopify too)."""
    started = start_bot(make_services(db, tmp_path, mailer=SmtpMailer(mail[0]), settings=SETTINGS), mail[1])
    yield started
    started.slack.close()
    started.slack.fake.assert_no_errors()


# -- driving it --------------------------------------------------------------------------------------------------


def instant_return(bot: Bot, order: str = "#1001") -> tuple[dict[str, Any], str]:
    """`/order`, then "Create return shipment (instant)" on the card: (the card, the return's RMA)."""
    slack = bot.slack
    slack.command("/order", order)
    card = slack.posted()[-1]
    menu = next(b for b in card["blocks"] if b.get("block_id") == BlockId.ORDER_ACTIONS)["elements"][0]
    option = next(o for o in menu["options"] if o["value"].startswith(ReturnMenu.INSTANT))
    url = slack.fake.response_url(channel=CHANNEL, message_ts=card["ts"], user=AGENT)
    assert slack.post(interactive_form(block_actions_payload(AGENT, CHANNEL, card, menu, url, selected_option=option)))
    slack.settle()
    return card, returns.cases_for_order(bot.services.db, order_id(bot.services, order))[-1].rma


def status_message(bot: Bot, card: dict[str, Any]) -> dict[str, Any]:
    return next(
        m for m in bot.slack.fake.thread(CHANNEL, card["ts"])
        if any(b.get("block_id") == BlockId.RETURN_STATUS for b in m.get("blocks", []))
    )  # fmt: skip


def thread_after(bot: Bot, card: dict[str, Any], since: int = 0) -> list[dict[str, Any]]:
    return bot.slack.fake.thread(CHANNEL, card["ts"])[1 + since :]


def press(bot: Bot, message: dict[str, Any], action_id: str, *, user: str = AGENT, channel: str = CHANNEL,
          ephemeral: bool = False) -> httpx.Response:  # fmt: skip
    return bot.slack.click(message, action_id, user=user, channel=channel, ephemeral=ephemeral)


def receipt_form(bot: Bot) -> dict[str, Any]:
    """The Mark received form the last press opened, as Slack holds it."""
    view = bot.slack.fake.calls_to("views.update")[-1].response["view"]
    assert view["callback_id"] == CallbackId.RECEIPT_MODAL, view
    return view


def submit(bot: Bot, view: dict[str, Any], values: dict[str, Any] | None = None, *, user: str = WAREHOUSE_USER
           ) -> httpx.Response:  # fmt: skip
    body = interactive_form(view_submission_payload(user, view, values or initial_values(view)))
    response = bot.slack.post(body)
    bot.slack.settle()
    return response


def modal_text(bot: Bot, view_id: str) -> str:
    return block_texts(bot.slack.fake.views[view_id])


def buttons(message: dict[str, Any]) -> list[str]:
    return [e["text"]["text"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


# -- end to end, both stores -------------------------------------------------------------------------------------


@pytest.fixture(params=["local", "shopify"])
def any_store(request: pytest.FixtureRequest, db: Database) -> Iterator[Store | None]:
    if request.param == "local":
        yield None  # make_services seeds and uses the local store
        return
    seed_demo_orders(db)
    with shopify() as (fake, store):
        install_returns(fake)
        yield store


def test_reminder_escalation_receipt_follow_up_and_then_nothing(
    db: Database, tmp_path: Path, any_store: Store | None, mail: tuple[str, Sink]
) -> None:
    services = make_services(db, tmp_path, store=any_store, mailer=SmtpMailer(mail[0]), settings=SETTINGS)
    bot = start_bot(services, mail[1])
    try:
        card, rma = instant_return(bot)
        assert len(bot.mail.messages) == 1  # the label
        assert "label created · today" in block_texts(status_message(bot, card))

        assert bot.tick(days=13).reminders == 0
        report = bot.tick(days=1, hours=1)  # day 14
        assert report.reminders == 1 and report.escalations == 0
        reminder = thread_after(bot, card)[-1]
        assert f"<@{AGENT}>" in reminder["text"] + block_texts(reminder)  # the agent who made the return
        assert buttons(reminder) == ["Mark received", "Remind customer", "Snooze 7 days", "Close (customer keeps it)"]
        assert "label created · 14 days" in block_texts(status_message(bot, card))  # state and age, kept fresh
        label_mail, reminder_mail = bot.mail.messages
        assert reminder_mail["To"] == label_mail["To"] == "janis.berzins@example.com"
        [attachment] = list(reminder_mail.iter_attachments())  # the label, attached again
        assert attachment.get_content().startswith(b"%PDF")

        report = bot.tick(days=7)  # day 21
        assert report.escalations == 1 and report.reminders == 0
        [escalation] = bot.slack.posted(APPROVALS)
        thread_link = f"https://example.slack.com/archives/{CHANNEL}/p{card['ts'].replace('.', '')}"
        assert thread_link in block_texts(escalation) and rma in escalation["text"]

        press(bot, reminder, ActionId.RETURN_RECEIVE, user=WAREHOUSE_USER)
        form = receipt_form(bot)
        assert submit(bot, form).json()["response_action"] == "update"
        assert "is received" in modal_text(bot, form["id"])
        received = thread_after(bot, card)[-1]
        assert f"was received by <@{WAREHOUSE_USER}>" in block_texts(received)
        assert buttons(received) == ["Refund now"]  # and no "Send replacement": replacements do not exist yet
        assert "resellable, back to stock" in block_texts(received)
        assert returns.get_case(db, rma).status is ReturnStatus.RECEIVED
        assert "received · 21 days" in block_texts(status_message(bot, card))
        assert buttons(bot.slack.fake.message(CHANNEL, reminder["ts"]) or {}) == []  # the reminder is settled
        assert len(bot.mail.messages) == 3
        follow_up = bot.mail.messages[-1]
        assert follow_up["To"] == "janis.berzins@example.com" and rma in follow_up.get_body().get_content()

        in_thread, approvals = len(thread_after(bot, card)), len(bot.slack.posted(APPROVALS))
        for moved in ({"days": 2}, {"days": 7}, {"days": 30}):
            report = bot.tick(**moved)
            assert (report.reminders, report.escalations, report.expired, report.errors) == (0, 0, 0, 0)
        assert len(thread_after(bot, card)) == in_thread and len(bot.slack.posted(APPROVALS)) == approvals
        assert len(bot.mail.messages) == 3  # nothing more
        bot.slack.fake.assert_no_errors()
    finally:
        bot.slack.close()


# -- Mark received ---------------------------------------------------------------------------------------------


def test_two_presses_at_once_make_one_receipt_and_the_second_is_told_who(bot: Bot) -> None:
    card, rma = instant_return(bot, "#1002")
    status = status_message(bot, card)
    forms = []
    for user in (WAREHOUSE_USER, AGENT):
        press(bot, status, ActionId.RETURN_RECEIVE, user=user)
        forms.append(receipt_form(bot))
    answers: dict[str, httpx.Response] = {}
    threads = [
        threading.Thread(target=lambda f=f, u=u: answers.__setitem__(u, submit(bot, f, user=u)))
        for f, u in zip(forms, (WAREHOUSE_USER, AGENT), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bot.slack.settle()
    told = [modal_text(bot, f["id"]) for f in forms]
    assert sum("is received" in t for t in told) == 1
    [loser] = [t for t in told if "already marked received" in t]
    case = returns.get_case(bot.services.db, rma)
    assert f"by <@{case.received_by}>" in loser and case.received_by in (WAREHOUSE_USER, AGENT)
    receipts = [m for m in thread_after(bot, card) if "was received by" in block_texts(m)]
    assert len(receipts) == 1
    assert len(bot.mail.messages) == 2  # the label and one follow-up
    press(bot, status, ActionId.RETURN_RECEIVE, user=LEAD)  # later, from a stale screen
    late = block_texts(bot.slack.fake.calls_to("views.update")[-1].response["view"])
    assert f"already marked received by <@{case.received_by}>" in late


def test_the_form_answers_bad_input_with_field_errors(bot: Bot) -> None:
    card, rma = instant_return(bot, "#1001")
    press(bot, status_message(bot, card), ActionId.RETURN_RECEIVE, user=WAREHOUSE_USER)
    form = receipt_form(bot)
    case = returns.get_case(bot.services.db, rma)
    jacket, socks = (str(i["line_item_id"]) for i in case.items[:2])
    qty = next(b for b in form["blocks"] if b.get("block_id") == receipt_block_id(socks, "qty"))
    assert [o["value"] for o in qty["element"]["options"]] == ["0", "1", "2"]  # 0…2 of the socks
    assert qty["element"]["initial_option"]["value"] == "2"

    values = initial_values(form)
    forged = {"text": {"type": "plain_text", "text": "5 of 2"}, "value": "5"}  # more than returned
    values[receipt_block_id(socks, "qty")][ActionId.RECEIPT_QUANTITY]["selected_option"] = forged
    values[receipt_block_id(jacket, "qty")][ActionId.RECEIPT_QUANTITY]["selected_option"]["value"] = "one"
    values[BlockId.RC_NOTE][ActionId.RECEIPT_FIELD]["value"] = "x" * 2001
    errors = submit(bot, form, values).json()["errors"]
    assert errors == {receipt_block_id(jacket, "qty"): "Enter a whole number of items."}  # the form's own check
    values[receipt_block_id(jacket, "qty")][ActionId.RECEIPT_QUANTITY]["selected_option"]["value"] = "1"
    errors = submit(bot, form, values).json()["errors"]
    assert "2 of Wool Hiking Socks" in errors[receipt_block_id(socks, "qty")]
    assert "within 2000 characters" in errors[BlockId.RC_NOTE]
    for block_id, entry in values.items():
        if block_id.startswith("rc_qty:"):
            entry[ActionId.RECEIPT_QUANTITY]["selected_option"]["value"] = "0"
    values[BlockId.RC_NOTE][ActionId.RECEIPT_FIELD]["value"] = ""
    errors = submit(bot, form, values).json()["errors"]
    assert errors == {receipt_block_id(jacket, "qty"): "Enter how many came back of at least one item."}
    assert returns.get_case(bot.services.db, rma).status is ReturnStatus.LABEL_CREATED
    bot.slack.fake.assert_no_errors()  # every error named an input block of the form

    forged_form = {**form, "private_metadata": '{"order_id": "1"}'}
    answer = submit(bot, forged_form).json()
    assert answer["response_action"] == "update" and "could not be read" in block_texts(answer["view"])


def test_a_partial_receipt_and_refund_now_prefilled_with_what_came_back(bot: Bot) -> None:
    card, rma = instant_return(bot, "#1001")
    press(bot, status_message(bot, card), ActionId.RETURN_RECEIVE, user=WAREHOUSE_USER)
    form = receipt_form(bot)
    case = returns.get_case(bot.services.db, rma)
    _jacket, socks, beanie = (str(i["line_item_id"]) for i in case.items)
    values = initial_values(form)
    values[receipt_block_id(socks, "qty")][ActionId.RECEIPT_QUANTITY]["selected_option"]["value"] = "1"
    condition = next(b for b in form["blocks"] if b.get("block_id") == receipt_block_id(beanie, "condition"))
    damaged = next(o for o in condition["element"]["options"] if o["value"] == "damaged")
    values[receipt_block_id(beanie, "condition")][ActionId.RECEIPT_CONDITION]["selected_option"] = damaged
    values[BlockId.RC_NOTE][ActionId.RECEIPT_FIELD]["value"] = "Box <crushed> & wet"
    submit(bot, form, values)
    received = thread_after(bot, card)[-1]
    text = block_texts(received)
    assert "1 × Wool Hiking Socks 3-pack - 43-46 — resellable, back to stock" in text
    assert "1 × Revontuli Beanie - One size / Aurora Green — damaged" in text
    assert "not in the parcel:_ 1 × Wool Hiking Socks" in text
    assert "Box &lt;crushed&gt; &amp; wet" in text  # the note, escaped

    press(bot, received, ActionId.RETURN_REFUND_NOW, user=AGENT)
    refund = bot.slack.fake.calls_to("views.update")[-1].response["view"]
    assert refund["callback_id"] == CallbackId.REFUND_MODAL
    chosen = {
        b["block_id"]: b["element"]["initial_option"]["value"]
        for b in refund["blocks"] if b.get("block_id", "").startswith("f_line_")
    }  # fmt: skip
    assert sorted(chosen.values()) == ["1", "1", "1"]  # jacket 1, socks 1 (of 2 returned), beanie 1
    assert f"The items of return *{rma}* are filled in" in block_texts(refund)
    bot.slack.fake.assert_no_errors()


def test_mark_received_on_a_voided_or_expired_return_says_why(bot: Bot) -> None:
    card, rma = instant_return(bot, "#1006")
    status = status_message(bot, card)
    press(bot, status, ActionId.RETURN_VOID)
    voided = bot.slack.fake.message(CHANNEL, status["ts"]) or {}
    assert "Mark received" not in buttons(voided)
    press(bot, status, ActionId.RETURN_RECEIVE, user=WAREHOUSE_USER)  # the button as it was before the void
    told = block_texts(bot.slack.fake.calls_to("views.update")[-1].response["view"])
    assert f"Return {rma} was cancelled" in told and "start a new return" in told

    card, rma = instant_return(bot, "#1002")
    before = status_message(bot, card)
    assert bot.tick(days=31).expired == 1
    [expired] = [m for m in thread_after(bot, card) if "has expired" in block_texts(m)]
    assert "label was voided" in block_texts(expired)
    assert "expired · 31 days" in block_texts(status_message(bot, card))
    assert "Mark received" not in buttons(status_message(bot, card))
    press(bot, before, ActionId.RETURN_RECEIVE, user=WAREHOUSE_USER)
    told = block_texts(bot.slack.fake.calls_to("views.update")[-1].response["view"])
    assert f"Return {rma} expired" in told


# -- the reminder's other buttons ------------------------------------------------------------------------------


def test_remind_customer_sends_once_per_press(bot: Bot) -> None:
    card, _rma = instant_return(bot, "#1001")
    bot.tick(days=14, hours=1)
    reminder = thread_after(bot, card)[-1]
    assert len(bot.mail.messages) == 2
    press(bot, reminder, ActionId.RETURN_REMIND)
    press(bot, reminder, ActionId.RETURN_REMIND)
    assert len(bot.mail.messages) == 4
    notes = [m for m in thread_after(bot, card) if "reminded the customer" in m.get("text", "")]
    assert len(notes) == 2 and f"<@{AGENT}>" in notes[0]["text"]
    # one press delivered twice (Slack retries when the ack is slow): one e-mail
    element = find_element(reminder, ActionId.RETURN_REMIND)
    url = bot.slack.fake.response_url(channel=CHANNEL, message_ts=reminder["ts"], user=AGENT)
    body = interactive_form(block_actions_payload(AGENT, CHANNEL, reminder, element, url, trigger_id="1.2.three"))
    for _ in range(2):
        bot.slack.post(body)
        bot.slack.settle()
    assert len(bot.mail.messages) == 5
    pressed = bot.slack.fake.message(CHANNEL, reminder["ts"]) or {}
    assert "Customer reminded by" in block_texts(pressed) and "Mark received" in buttons(pressed)


def test_snooze_puts_the_reminders_off_and_a_received_return_cannot_be_snoozed(bot: Bot) -> None:
    card, rma = instant_return(bot, "#1001")
    bot.tick(days=14, hours=1)
    reminder = thread_after(bot, card)[-1]
    press(bot, reminder, ActionId.RETURN_SNOOZE)
    case = returns.get_case(bot.services.db, rma)
    assert case.snoozed_until is not None
    assert "snoozed the reminders" in thread_after(bot, card)[-1]["text"]
    put_off = bot.tick(days=6, hours=23)  # day 21: the escalation was due, the snooze puts it off
    assert (put_off.reminders, put_off.escalations) == (0, 0)
    over = bot.tick(hours=2)  # the snooze is over: a fresh reminder, and the escalation
    assert (over.reminders, over.escalations) == (1, 1)

    press(bot, status_message(bot, card), ActionId.RETURN_RECEIVE, user=WAREHOUSE_USER)
    submit(bot, receipt_form(bot))
    press(bot, reminder, ActionId.RETURN_SNOOZE)  # the buttons as they were before the receipt
    told = bot.slack.responses()[-1]
    assert told["response_type"] == "ephemeral"
    assert f"Return {rma} was already received" in told["text"] and "no need to snooze it" in told["text"]


def test_close_customer_keeps_it_settles_the_return(bot: Bot) -> None:
    card, rma = instant_return(bot, "#1001")
    bot.tick(days=14, hours=1)
    reminder = thread_after(bot, card)[-1]
    press(bot, reminder, ActionId.RETURN_CLOSE_KEPT)
    assert returns.get_case(bot.services.db, rma).status is ReturnStatus.RESOLVED
    assert "the customer keeps the items" in thread_after(bot, card)[-1]["text"]
    pressed = bot.slack.fake.message(CHANNEL, reminder["ts"]) or {}
    assert buttons(pressed) == [] and "Closed by" in block_texts(pressed)
    status = status_message(bot, card)
    assert "closed, the customer keeps it" in block_texts(status) and "Mark received" not in buttons(status)
    emails = len(bot.mail.messages)
    report = bot.tick(days=30)
    assert (report.escalations, report.expired) == (0, 0) and len(bot.mail.messages) == emails


# -- /returns, the digest, the rate limit, recovery ----------------------------------------------------------


def test_the_returns_list_has_mark_received(bot: Bot) -> None:
    _card, rma = instant_return(bot, "#1005")
    bot.slack.command("/returns", "open")
    listing = bot.slack.responses()[-1]
    assert f"Mark {rma} received" in buttons(listing)
    press(bot, {"ts": "1.0", "blocks": listing["blocks"]}, ActionId.RETURN_RECEIVE, user=WAREHOUSE_USER,
          ephemeral=True)  # fmt: skip
    submit(bot, receipt_form(bot))
    assert returns.get_case(bot.services.db, rma).status is ReturnStatus.RECEIVED


def test_the_digest_waits_out_slacks_rate_limit_and_is_posted_once(bot: Bot) -> None:
    assert bot.tick(hours=1).digests == 0  # nothing to say: no digest
    _card, rma = instant_return(bot, "#1001")
    report = bot.tick(days=15)
    assert report.reminders == 1 and report.digests == 1
    bot.slack.fake.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    report = bot.tick(days=1)  # only the digest is due: it meets the rate limit, waits Retry-After, goes out
    assert report.digests == 1 and report.errors == 0
    digests = bot.slack.posted(DIGESTS)
    assert len(digests) == 2 and all("Returns digest" in d["text"] for d in digests)
    text = block_texts(digests[-1])
    assert "*Overdue: 1*" in text and f"|{rma}>" in text  # linked to its thread
    limited = [c for c in bot.slack.fake.calls_to("chat.postMessage") if c.response.get("error") == "ratelimited"]
    assert len(limited) == 1


def test_resume_finishes_a_return_left_half_done(bot: Bot) -> None:
    # as if killed right after the case was opened: no "working" message yet, no label, no PDF, no e-mail
    bot.slack.command("/order", "#1004")
    card = bot.slack.posted()[-1]
    draft = returns.draft_return(bot.services, order_id(bot.services, "#1004"))
    opened = returns.open_case(bot.services, draft, returns.default_form(draft), AGENT, channel=CHANNEL,
                               thread_ts=card["ts"])  # fmt: skip
    bot.notifier.resume_return(opened.case.rma)
    bot.slack.settle()
    case = returns.get_case(bot.services.db, opened.case.rma)
    assert case.label is not None and case.finished_at is not None
    assert [f.filename for f in bot.slack.fake.files] == [f"return-label-{case.rma}.pdf"]
    assert "label created · today" in block_texts(status_message(bot, card))
    assert len(bot.mail.messages) == 1
    bot.notifier.resume_return(opened.case.rma)  # again (a second instance took the same row over): nothing twice
    assert len(bot.slack.fake.files) == 1 and len(bot.mail.messages) == 1
