"""Return labels with PostNord end to end: signed Slack requests into the bot, the fake Slack, the fake PostNord,
a real SMTP server. The PDF PostNord served is the one in the thread and in the e-mail, byte for byte."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import PIL.Image
import pytest
import zxingcpp

from bot.common.ids import ActionId, BlockId, CallbackId, ReturnMenu
from bot.shell.standin import initial_values, state_value
from commands.services import ReturnSettings, Services
from domain.store import Store
from integrations.carriers.postnord import PostNordCarrier, codes
from integrations.carriers.postnord.standin import FakePostNord
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import SmtpMailer
from storage.db import Database
from tests.slack_harness import CHANNEL, SlackHarness, block_texts, start_harness
from tests.smtp_sink import Sink, smtp_sink
from tests.test_return_labels_slack import card_for, choose, status_of, submit
from tests.test_returns_workflow import WAREHOUSE

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def mail() -> Iterator[tuple[str, Sink]]:
    with smtp_sink() as sink:
        yield sink


@pytest.fixture
def postnord() -> Iterator[FakePostNord]:
    with FakePostNord(return_postal_code=WAREHOUSE.zip, today=NOW.date()) as fake:
        yield fake


@pytest.fixture
def store(db: Database) -> Store:
    seed_demo_orders(db)
    return LocalStore(db)


def postnord_carrier(fake: FakePostNord, *, timeout: float = 5.0) -> PostNordCarrier:
    return PostNordCarrier(
        api_key=fake.api_key, api_url=fake.url, customer_number=fake.customer_number, issuer_code="",
        pickup_min_grams=20_000, timeout=timeout, now=lambda: NOW, return_address=WAREHOUSE,
    )  # fmt: skip


@pytest.fixture
def slack(db: Database, store: Store, mail: tuple[str, Sink], postnord: FakePostNord) -> Iterator[SlackHarness]:
    services = Services(
        db=db, store=store, clock=lambda: NOW, carrier=postnord_carrier(postnord), mailer=SmtpMailer(mail[0]),
        returns=ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo"),
    )  # fmt: skip
    harness = start_harness(services)
    yield harness
    harness.close()
    harness.fake.assert_no_errors()
    postnord.assert_no_rejections()


def label_message(slack: SlackHarness, card: dict[str, Any], rma: str) -> str:
    return block_texts(status_of(slack, card["ts"], rma))


def test_an_instant_return_books_postnord_and_its_pdf_reaches_thread_and_customer(
    slack: SlackHarness, postnord: FakePostNord, mail: tuple[str, Sink]
) -> None:
    card = card_for(slack, "#1001")  # the customer is in Rīga
    choose(slack, card, ReturnMenu.INSTANT)

    (booking,) = postnord.bookings.values()
    assert booking.reference == "R1001-1" and booking.service == "24"
    [upload] = slack.fake.files
    assert upload.thread_ts == card["ts"] and upload.content == booking.pdf
    text = label_message(slack, card, "R1001-1")
    assert booking.item_id in text and "PostNord" in text
    [message] = mail[1].messages
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content() == booking.pdf
    # the label-less drop-off code: written out, and an image that scans back to it
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    found = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(image.get_content())))
    assert [f.text for f in found] == [booking.qr_code]
    body = message.get_body(("plain",))
    assert body is not None and booking.qr_code in body.get_content()
    parties = booking.instruction["shipment"][0]["parties"]
    assert parties["consignor"]["party"]["address"]["countryCode"] == "LV"  # the customer sends
    assert parties["consignee"]["party"]["address"]["postalCode"] == WAREHOUSE.zip  # the shop receives
    assert parties["consignor"]["issuerCode"] == "Z14"  # the shop's agreement: PostNord Finland


def test_a_booking_whose_answer_was_lost_is_found_not_booked_again(
    slack: SlackHarness, postnord: FakePostNord, mail: tuple[str, Sink]
) -> None:
    slack.services.carrier = postnord_carrier(postnord, timeout=0.5)
    postnord.fail_next("book_then_timeout", path=codes.RETURN_LABEL_PATH)
    card = card_for(slack, "#1003")
    choose(slack, card, ReturnMenu.INSTANT)
    assert slack.fake.files == []

    status = status_of(slack, card["ts"], "R1003-1")
    pressed = next(
        e["action_id"] for b in status["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] in (ActionId.RETURN_RETRY, getattr(ActionId, "RETURN_CHECK_BOOKING", ""))
    )  # fmt: skip
    slack.services.carrier = postnord_carrier(postnord)  # the short time-out was for the fault alone
    slack.click(status, pressed)

    (booking,) = postnord.bookings.values()  # booked once, found by its RMA
    [upload] = slack.fake.files
    assert upload.content == booking.pdf
    assert booking.item_id in label_message(slack, card, "R1003-1")
    assert len(mail[1].messages) == 1


def test_postnord_down_is_said_in_the_thread_with_retry(slack: SlackHarness, postnord: FakePostNord) -> None:
    postnord.fail_next("503", path=codes.RETURN_LABEL_PATH)
    card = card_for(slack, "#1005")
    choose(slack, card, ReturnMenu.INSTANT)
    status = status_of(slack, card["ts"], "R1005-1")
    assert "PostNord is temporarily unavailable" in block_texts(status)
    assert postnord.bookings == {} and slack.fake.files == []
    slack.click(status, ActionId.RETURN_RETRY)
    (booking,) = postnord.bookings.values()
    assert [f.content for f in slack.fake.files] == [booking.pdf]
    assert slack.fake.files[0].channel == CHANNEL


# -- the return form: a pickup, and an address PostNord refuses ------------------------------------------------


def open_form(slack: SlackHarness, order: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order's card and the return form opened from it."""
    card = card_for(slack, order)
    choose(slack, card, ReturnMenu.EDIT)
    modal = slack.fake.calls_to("views.update")[-1].response["view"]
    assert modal["callback_id"] == CallbackId.RETURN_MODAL
    return card, modal


def with_values(modal: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the agent left them, with `changes` (block id → raw value) typed or chosen."""
    values = initial_values(modal)
    for block_id, value in changes.items():
        block = next(b for b in modal["blocks"] if b.get("block_id") == block_id)
        element = block["element"]
        values[block_id] = {element["action_id"]: state_value(element, value)}
    return values


def delivery_value(modal: dict[str, Any], wanted: str) -> str:
    block = next(b for b in modal["blocks"] if b.get("block_id") == BlockId.R_DELIVERY)
    return next(o["value"] for o in block["element"]["options"] if wanted in o["value"])


def test_a_pickup_from_the_form_books_postnord_return_pickup(slack: SlackHarness, postnord: FakePostNord) -> None:
    card, modal = open_form(slack, "#1005")  # the customer is in Tampere
    values = with_values(modal, {
        BlockId.R_DELIVERY: delivery_value(modal, "pickup"), BlockId.R_PICKUP_DATE: "2026-11-24",
        BlockId.R_PICKUP_PHONE: "+358 40 123 4567", BlockId.R_WEIGHT: "23.5",
    })  # fmt: skip
    assert submit(slack, modal, values).get("response_action") == "update"

    (booking,) = postnord.bookings.values()
    assert booking.service == "20" and booking.qr_code == ""
    shipment = booking.instruction["shipment"][0]
    assert shipment["dateAndTimes"]["earliestPickupDate"] == "2026-11-24T09:00:00"
    assert shipment["totalGrossWeight"] == {"value": 23.5, "unit": "KGM"}
    assert [f.content for f in slack.fake.files] == [booking.pdf]
    assert "Return Pickup" in label_message(slack, card, "R1005-1")


def test_a_postcode_postnord_refuses_comes_back_to_the_form(slack: SlackHarness, postnord: FakePostNord) -> None:
    _card, modal = open_form(slack, "#1005")
    submit(slack, modal, with_values(modal, {BlockId.R_ZIP: "3310"}))  # Finnish postcodes have 5 digits
    form = slack.fake.views[modal["id"]]  # the form again, with PostNord's words about the address
    assert any(b.get("block_id") == BlockId.R_ZIP for b in form["blocks"])
    assert "postcode “3310”" in json.dumps(form, ensure_ascii=False)
    assert postnord.bookings == {} and slack.fake.files == []
