"""Return labels end to end: signed Slack requests into the bot, the fake Slack, a real SMTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.common.ids import ActionId, BlockId, CallbackId, ReturnMenu, item_block_id
from bot.shell.standin import initial_values, interactive_form, signed_headers, state_value, view_submission_payload
from commands.services import ReturnSettings, Services
from domain.store import Store
from integrations.carriers.local import LocalCarrier
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import SmtpMailer
from integrations.shopify.standin.returns import install_returns
from storage.db import Database
from storage.models import ReturnCaseRow
from storage.serials import next_serial
from tests.shopify_env import shopify
from tests.slack_harness import AGENT, CHANNEL, LEAD, SIGNING_SECRET, SlackHarness, ack_text, block_texts, start_harness
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
    from bot.shell.standin import block_actions_payload

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
        ActionId.RETURN_EMAIL, ActionId.RETURN_VOID
    }  # fmt: skip
    [message] = mail[1].messages
    assert message["To"] == "janis.berzins@example.com"
    assert "atgriešanas" in str(message["Subject"])  # Latvian: the customer is in Rīga
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content() == upload.content
    with slack.services.db.session() as s:
        recorded = s.scalar(select(ReturnCaseRow.shopify_return_id).where(ReturnCaseRow.rma == "R1001-1"))
    # on Shopify the return exists there too, with our tracking; the local store's record is the case itself
    assert recorded.startswith("gid://shopify/Return/") if slack.services.store.kind == "shopify" else recorded == ""


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


def test_the_email_button_sends_once_per_label(slack: SlackHarness, mail) -> None:
    card = card_for(slack, "#1003")
    choose(slack, card, ReturnMenu.INSTANT)
    status = next(m for m in slack.fake.thread(CHANNEL, card["ts"])[1:] if "R1003-1" in m.get("text", ""))
    for _ in range(3):
        slack.click({**status, "ts": status["ts"]}, ActionId.RETURN_EMAIL)
    assert len(mail[1].messages) == 1


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
                from integrations.carriers import CarrierError

                raise CarrierError("The carrier did not answer in time.", retryable=True)
            return real.create_return_shipment(request)

    slack.services.carrier = Flaky()  # type: ignore[assignment]
    card = card_for(slack, "#1016")
    choose(slack, card, ReturnMenu.INSTANT)
    status = next(m for m in slack.fake.thread(CHANNEL, card["ts"])[1:] if "R1016-1" in m.get("text", ""))
    assert "did not answer in time" in block_texts(status)
    assert slack.fake.files == []
    slack.click(status, ActionId.RETURN_RETRY)
    assert [f.filename for f in slack.fake.files] == ["return-label-R1016-1.pdf"]
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
    assert len(slack.posted()) == before + 1
    assert "Order #1005" in block_texts(slack.posted()[-1])
    assert "Return R1005-1" in block_texts(slack.posted()[-1])


def test_return_command_opens_the_form_at_once(slack: SlackHarness) -> None:
    slack.command("/return", "#1009")
    [opened] = slack.fake.calls_to("views.open")
    form = slack.fake.views[opened.response["view"]["id"]]
    assert form["callback_id"] == CallbackId.RETURN_MODAL  # the loading view became the form
    assert "Order #1009" in block_texts(slack.posted()[-1])  # under the card it will report to

    slack.command("/return", "#1020")
    nothing = slack.fake.views[slack.fake.calls_to("views.open")[-1].response["view"]["id"]]
    assert "Nothing in order #1020 has shipped yet" in block_texts(nothing)
