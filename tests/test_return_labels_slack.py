"""Return labels end to end: signed Slack requests into the bot, the fake Slack, a real SMTP server. Also the
buttons on a return's message: e-mail again (once per press), e-mail another address, void (the customer is told)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.common.ids import ActionId, BlockId, CallbackId, ReturnMenu, item_block_id
from bot.shell.standin import (
    block_actions_payload,
    initial_values,
    interactive_form,
    signed_headers,
    state_value,
    view_submission_payload,
)
from commands.services import ReturnSettings, Services
from domain.carrier import CarrierError
from domain.store import Store, StoreError
from integrations.carriers.local import LocalCarrier
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import SmtpMailer
from integrations.shopify.standin.returns import install_returns
from storage.db import Database
from storage.models import ReturnCaseRow
from storage.serials import next_serial
from tests.shopify_env import shopify
from tests.slack_harness import (
    AGENT,
    CHANNEL,
    LEAD,
    SIGNING_SECRET,
    SlackHarness,
    ack_text,
    block_texts,
    find_element,
    start_harness,
)
from tests.smtp_sink import Sink, smtp_sink
from tests.test_returns_workflow import WAREHOUSE

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def mail() -> Iterator[tuple[str, Sink]]:
    with smtp_sink() as sink:
        yield sink


@pytest.fixture(params=["local", "shopify"])
def store(request: pytest.FixtureRequest, db: Database) -> Iterator[Store]:
    """Each test runs on the local store and on Shopify (the fake Admin API, returns included)."""
    seed_demo_orders(db)
    if request.param == "local":
        yield LocalStore(db)
        return
    with shopify() as (fake, shopify_store):
        install_returns(fake)
        yield shopify_store


@pytest.fixture
def slack(db: Database, store: Store, mail: tuple[str, Sink]) -> Iterator[SlackHarness]:
    services = Services(
        db=db, store=store, clock=lambda: NOW,
        carrier=LocalCarrier(lambda: next_serial(db, "tracking", NOW)), mailer=SmtpMailer(mail[0]),
        returns=ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo"),
    )  # fmt: skip
    harness = start_harness(services)
    yield harness
    harness.close()
    harness.fake.assert_no_errors()


def card_for(slack: SlackHarness, order: str) -> dict[str, Any]:
    slack.command("/order", order)
    return slack.posted()[-1]


def choose(slack: SlackHarness, card: dict, choice: ReturnMenu, *, user: str = AGENT) -> None:
    menu = next(b for b in card["blocks"] if b.get("block_id") == BlockId.ORDER_ACTIONS)["elements"][0]
    option = next(o for o in menu["options"] if o["value"].startswith(choice))
    url = slack.fake.response_url(channel=CHANNEL, message_ts=card["ts"], user=user)
    payload = block_actions_payload(user, CHANNEL, card, menu, url, selected_option=option)
    assert slack.post(interactive_form(payload)).status_code == 200
    slack.settle()


def test_instant_return_puts_the_label_in_the_thread_and_mails_it(slack: SlackHarness, mail) -> None:
    card = card_for(slack, "#1001")
    assert "Create return" in str(card["blocks"])
    choose(slack, card, ReturnMenu.INSTANT)

    [upload] = slack.fake.files
    assert upload.thread_ts == card["ts"] and upload.channel == CHANNEL
    assert upload.content.startswith(b"%PDF") and upload.filename == "return-label-R1001-1.pdf"
    thread = slack.fake.thread(CHANNEL, card["ts"])
    status = next(m for m in thread[1:] if "R1001-1" in m.get("text", ""))
    text = block_texts(status)
    assert "Return *R1001-1* for #1001" in text and "RB" in text and "e-mailed to janis.berzins@example.com" in text
    assert {e["action_id"] for b in status["blocks"] if b["type"] == "actions" for e in b["elements"]} == {
        ActionId.RETURN_EMAIL, ActionId.RETURN_EMAIL_OTHER, ActionId.RETURN_VOID, ActionId.RETURN_RECEIVE
    }  # fmt: skip
    [message] = mail[1].messages
    assert message["To"] == "janis.berzins@example.com"
    assert "atgriešanas" in str(message["Subject"])  # Latvian: the customer is in Rīga
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content() == upload.content
    with slack.services.db.session() as s:
        recorded = s.scalar(select(ReturnCaseRow.shopify_return_id).where(ReturnCaseRow.rma == "R1001-1"))
    # on Shopify the return exists there too, with our tracking; the local store's record is the case itself
    assert recorded.startswith("gid://shopify/Return/") if slack.services.store.keeps_returns else recorded == ""


def test_double_click_and_a_second_agent_make_one_label_and_one_email(slack: SlackHarness, mail) -> None:
    card = card_for(slack, "#1002")
    clicks = [threading.Thread(target=choose, args=(slack, card, ReturnMenu.INSTANT), kwargs={"user": u})
              for u in (AGENT, AGENT, LEAD)]  # fmt: skip
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    slack.settle()
    assert len(slack.fake.files) == 1
    assert len(mail[1].messages) == 1
    told = [r["text"] for r in slack.responses()]
    assert any("already" in t for t in told)


def test_void_then_return_again(slack: SlackHarness) -> None:
    card = card_for(slack, "#1006")
    choose(slack, card, ReturnMenu.INSTANT)
    status = next(m for m in slack.fake.thread(CHANNEL, card["ts"])[1:] if "R1006-1" in m.get("text", ""))
    slack.click(status, ActionId.RETURN_VOID)
    voided = slack.fake.message(CHANNEL, status["ts"])
    assert "label voided" in block_texts(voided)
    assert not any(b["type"] == "actions" for b in voided["blocks"])
    again = card_for(slack, "#1006")
    choose(slack, again, ReturnMenu.INSTANT)
    assert [f.filename for f in slack.fake.files] == ["return-label-R1006-1.pdf", "return-label-R1006-2.pdf"]


def test_the_editable_flow_checks_fields_and_then_makes_the_label(slack: SlackHarness) -> None:
    card = card_for(slack, "#1009")
    choose(slack, card, ReturnMenu.EDIT)
    [opened] = slack.fake.calls_to("views.open")
    updates = slack.fake.calls_to("views.update")
    modal = updates[-1].response["view"]
    assert modal["callback_id"] == CallbackId.RETURN_MODAL
    assert opened.response["view"]["id"] == modal["id"]
    values = initial_values(modal)
    assert values[BlockId.R_NAME][ActionId.RETURN_FIELD]["value"] == "Liisa Põld"

    def submit(vals: dict) -> Any:
        body = interactive_form(view_submission_payload(AGENT, modal, vals))
        response = slack.post(body, headers=signed_headers(SIGNING_SECRET, body))
        slack.settle()
        return response

    bad = {**values}
    weight_input = next(b for b in modal["blocks"] if b.get("block_id") == BlockId.R_WEIGHT)["element"]
    bad[BlockId.R_WEIGHT] = {ActionId.RETURN_FIELD: state_value(weight_input, "0")}
    bad[BlockId.R_ZIP] = {ActionId.RETURN_FIELD: state_value(weight_input, "")}
    for block in modal["blocks"]:
        if block.get("block_id", "").endswith("_qty"):  # nothing chosen at all
            bad[block["block_id"]] = {ActionId.RETURN_ITEM_QUANTITY: state_value(block["element"], "0")}
    response = submit(bad)
    errors = response.json()["errors"]
    assert errors[BlockId.R_WEIGHT].startswith("The parcel must weigh something")
    assert errors[BlockId.R_ZIP] == "The customer's postcode is needed on the label."
    assert errors[item_block_id(0, "qty")] == "Choose at least one item to return."
    assert slack.fake.files == []

    response = submit(values)
    assert response.json()["response_action"] == "update"
    [upload] = slack.fake.files
    assert upload.thread_ts == card["ts"]
    final = slack.fake.views[modal["id"]]
    assert "has its label" in block_texts(final)


@pytest.mark.parametrize(
    ("text", "answer"),
    [("#1020", "Nothing in order #1020 has shipped yet"), ("#1007", "was cancelled"), ("#9999", "No order found")],
)
def test_return_command_explains_what_cannot_be_returned(slack: SlackHarness, text: str, answer: str) -> None:
    slack.command("/return", f"{text} instant")
    assert answer in slack.responses()[-1]["text"]
    assert slack.fake.files == []


def test_return_command_instant_and_the_list_of_returns(slack: SlackHarness) -> None:
    response = slack.command("/return", "#1013 instant")
    assert response.status_code == 200 and ack_text(response) == ""
    [upload] = slack.fake.files
    assert upload.filename == "return-label-R1013-1.pdf"
    slack.command("/returns", "")
    listing = slack.responses()[-1]
    assert "R1013-1" in block_texts(listing) and "#1013" in block_texts(listing)
    slack.command("/returns", "mine")
    assert "R1013-1" in block_texts(slack.responses()[-1])
    slack.command("/returns", "bogus")
    assert slack.posted()  # the card of /return is there


def test_a_carrier_failure_offers_retry_and_retry_finishes(slack: SlackHarness) -> None:
    real = slack.services.carrier
    calls: list[str] = []

    class Flaky:
        name = "local"

        def create_return_shipment(self, request):
            calls.append(request.rma)
            if len(calls) == 1:
                raise CarrierError("The carrier did not answer in time.", retryable=True)
            return real.create_return_shipment(request)

        def __getattr__(self, name):  # the rest of the Carrier protocol: the real carrier's
            return getattr(real, name)

    slack.services.carrier = Flaky()  # type: ignore[assignment]
    card = card_for(slack, "#1016")
    choose(slack, card, ReturnMenu.INSTANT)
    status = next(m for m in slack.fake.thread(CHANNEL, card["ts"])[1:] if "R1016-1" in m.get("text", ""))
    assert "did not answer in time" in block_texts(status)
    assert slack.fake.files == []
    slack.click(status, ActionId.RETURN_RETRY)
    assert [f.filename for f in slack.fake.files] == ["return-label-R1016-1.pdf"]
    assert "Return *R1016-1*" in block_texts(slack.fake.message(CHANNEL, status["ts"]))


def test_the_label_reaches_the_thread_before_the_shop_records_the_return(slack: SlackHarness, mail) -> None:
    """The file goes into the thread as soon as the label exists: a shop that fails to record the return leaves it
    there, with Retry on the message, and Retry records the return without sharing the file again."""
    real = slack.services.store
    recorded: list[str] = []

    class Flaky:
        keeps_returns = True

        def create_return(self, order_id, items, **kwargs):
            recorded.append(order_id)
            if len(recorded) == 1:
                assert [f.filename for f in slack.fake.files] == ["return-label-R1016-1.pdf"]
                raise StoreError("the shop did not answer in time")
            return real.create_return(order_id, items, **kwargs) if real.keeps_returns else "gid://test/Return/1"

        def __getattr__(self, name):  # the rest of the Store protocol: the real store's
            return getattr(real, name)

    slack.services.store = Flaky()  # type: ignore[assignment]
    card = card_for(slack, "#1016")
    choose(slack, card, ReturnMenu.INSTANT)
    status = next(m for m in slack.fake.thread(CHANNEL, card["ts"])[1:] if "R1016-1" in m.get("text", ""))
    said = block_texts(status)
    assert "has its label in this thread" in said and "did not answer in time" in said
    assert mail[1].messages == []  # the e-mail follows the shop's record
    slack.click(status, ActionId.RETURN_RETRY)
    assert [f.filename for f in slack.fake.files] == ["return-label-R1016-1.pdf"]  # shared once
    assert len(recorded) == 2 and len(mail[1].messages) == 1
    assert "Return *R1016-1*" in block_texts(slack.fake.message(CHANNEL, status["ts"]))


def test_instant_without_a_full_address_points_to_the_form(slack: SlackHarness) -> None:
    card = card_for(slack, "#1010")  # a gift card: fulfilled, but no shipping address
    choose(slack, card, ReturnMenu.INSTANT)
    told = slack.responses()[-1]["text"]
    assert "address is missing" in told and "Create return shipment" in told
    assert slack.fake.files == []


def test_the_returns_list_buttons_post_the_order_card(slack: SlackHarness) -> None:
    slack.command("/return", "#1005 instant")
    slack.command("/returns", "open")
    listing = slack.responses()[-1]
    before = len(slack.posted())
    slack.click({"ts": "1.0", "blocks": listing["blocks"]}, ActionId.SHOW_ORDER, ephemeral=True)
    card, label = slack.posted()[before:]  # the card, and the return's message in its thread
    assert "Order #1005" in block_texts(card) and "Return R1005-1" in block_texts(card)
    assert label["thread_ts"] == card["ts"] and find_element(label, ActionId.RETURN_VOID, "R1005-1")


def test_return_command_opens_the_form_at_once(slack: SlackHarness) -> None:
    slack.command("/return", "#1009")
    [opened] = slack.fake.calls_to("views.open")
    form = slack.fake.views[opened.response["view"]["id"]]
    assert form["callback_id"] == CallbackId.RETURN_MODAL  # the loading view became the form
    assert "Order #1009" in block_texts(slack.posted()[-1])  # under the card it will report to

    slack.command("/return", "#1020")
    nothing = slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]
    assert "Nothing in order #1020 has shipped yet" in block_texts(nothing)


# -- the buttons on a return's message: e-mail again (once per press), another address, void ------------------


def instant_return(slack: SlackHarness, order: str, rma: str) -> dict[str, Any]:
    """An instant return of `order` from its card; the message about the label in the card's thread."""
    card = card_for(slack, order)
    choose(slack, card, ReturnMenu.INSTANT)
    return status_of(slack, card["ts"], rma)


def status_of(slack: SlackHarness, thread_ts: str, rma: str) -> dict[str, Any]:
    return next(m for m in slack.fake.thread(CHANNEL, thread_ts)[1:] if rma in m.get("text", ""))


def press(slack: SlackHarness, message: dict[str, Any], action_id: str, *, trigger_id: str | None = None) -> None:
    """One press of a button; the same `trigger_id` twice is one press that Slack delivered twice."""
    element = find_element(message, action_id)
    url = slack.fake.response_url(channel=CHANNEL, message_ts=message["ts"], user=AGENT)
    payload = block_actions_payload(AGENT, CHANNEL, message, element, url, trigger_id=trigger_id)
    assert slack.post(interactive_form(payload)).status_code == 200
    slack.settle()


def submit(slack: SlackHarness, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    response = slack.post(interactive_form(view_submission_payload(AGENT, view, values)))
    slack.settle()
    assert response.status_code == 200
    return response.json() if response.content else {}


def test_each_press_of_email_label_sends_it_again_once(slack: SlackHarness, mail: tuple[str, Sink]) -> None:
    status = instant_return(slack, "#1003", "R1003-1")
    assert len(mail[1].messages) == 1  # the e-mail that came with the label

    press(slack, status, ActionId.RETURN_EMAIL)
    assert len(mail[1].messages) == 2
    again = slack.fake.message(CHANNEL, status["ts"])
    assert "sent again at" in block_texts(again)

    press(slack, again, ActionId.RETURN_EMAIL, trigger_id="1111.2222.aaaa")
    press(slack, again, ActionId.RETURN_EMAIL, trigger_id="1111.2222.aaaa")  # the same press, delivered twice
    assert len(mail[1].messages) == 3
    assert {str(m["To"]) for m in mail[1].messages} == {mail[1].messages[0]["To"]}
    # a new message each time (its own Message-ID), so that a mail client does not hide it as a duplicate
    assert len({m["Message-ID"] for m in mail[1].messages}) == 3
    assert "sent again 2 times, last at" in block_texts(slack.fake.message(CHANNEL, status["ts"]))


def test_the_label_can_be_sent_to_another_address(slack: SlackHarness, mail: tuple[str, Sink]) -> None:
    status = instant_return(slack, "#1005", "R1005-1")
    press(slack, status, ActionId.RETURN_EMAIL_OTHER)
    form = slack.fake.calls_to("views.open")[-1].response["view"]
    assert form["callback_id"] == CallbackId.RETURN_EMAIL_MODAL
    field = next(b for b in form["blocks"] if b.get("block_id") == BlockId.R_EMAIL_TO)["element"]

    def typed(text: str) -> dict[str, Any]:
        return {BlockId.R_EMAIL_TO: {ActionId.RETURN_FIELD: state_value(field, text)}}

    for wrong in ("anna", "anna@example", "anna@example.org, eve@example.org"):
        answer = submit(slack, form, typed(wrong))
        assert answer["response_action"] == "errors" and BlockId.R_EMAIL_TO in answer["errors"]
    assert len(mail[1].messages) == 1

    assert submit(slack, form, typed(" anna@example.org "))["response_action"] == "update"
    assert [str(m["To"]) for m in mail[1].messages][1:] == ["anna@example.org"]
    assert "was sent to anna@example.org" in block_texts(slack.fake.views[form["id"]])
    assert "to anna@example.org" in block_texts(slack.fake.message(CHANNEL, status["ts"]))


def test_voiding_an_emailed_label_tells_the_customer_in_their_language(
    slack: SlackHarness, mail: tuple[str, Sink]
) -> None:
    status = instant_return(slack, "#1001", "R1001-1")  # the customer is in Rīga: Latvian
    press(slack, status, ActionId.RETURN_VOID)

    label, notice = mail[1].messages
    assert notice["To"] == label["To"] == "janis.berzins@example.com"
    assert str(notice["Subject"]) == "Pasūtījuma #1001 atgriešanas etiķete ir atcelta"
    assert notice["Content-Language"] == "lv" and not list(notice.iter_attachments())
    assert "R1001-1" in notice.get_body(("plain",)).get_content()
    voided = block_texts(slack.fake.message(CHANNEL, status["ts"]))
    assert "label voided" in voided and "told janis.berzins@example.com by e-mail" in voided


def test_voiding_a_label_never_emailed_sends_nothing(slack: SlackHarness, mail: tuple[str, Sink]) -> None:
    status = instant_return(slack, "#1012", "R1012-1")  # the order has no e-mail address
    assert ActionId.RETURN_EMAIL not in {e.get("action_id") for b in status["blocks"] for e in b.get("elements", [])}
    press(slack, status, ActionId.RETURN_VOID)
    assert mail[1].messages == []
    assert "label voided" in block_texts(slack.fake.message(CHANNEL, status["ts"]))


def test_instant_return_of_an_unshipped_order_says_what_can_be_done(slack: SlackHarness) -> None:
    slack.command("/return", "#1020 instant")
    told = slack.responses()[-1]["text"]
    assert "has shipped yet" in told and "refund" in told
    assert "cancel" not in told.lower()  # the bot cannot cancel orders (yet)
