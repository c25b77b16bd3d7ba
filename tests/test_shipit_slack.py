"""Shipit returns end to end (issue 14): signed Slack requests into the bot, the fake Slack, the fake Shipit on
127.0.0.1 checking every request as its API documents them, and a real SMTP server.

Instant and edited returns, drop-off (with the nearest points) and pickup, a refused postcode back in the form,
Void where Shipit cannot cancel, the carrier down, and a retry after a time-out that had booked: one booking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.common.ids import ActionId, BlockId, CallbackId, ReturnMenu
from bot.shell.standin import initial_values, state_value
from commands import returns
from domain.vocabulary import ReturnStatus
from integrations.carriers.shipit import ShipitCarrier, standin_api
from integrations.carriers.shipit.standin import FakeShipit
from storage.db import Database
from tests.carrier_env import NOW, attachment, body_text, shipit_carrier, shipit_services, with_local
from tests.slack_harness import CHANNEL, SlackHarness, block_texts, find_element, start_harness
from tests.smtp_sink import Sink, smtp_sink
from tests.test_return_labels_slack import card_for, choose, submit

Env = tuple[SlackHarness, FakeShipit, Sink]


@pytest.fixture
def env(db: Database) -> Iterator[Env]:
    with smtp_sink() as (url, sink), shipit_services(db, url) as (services, fake):
        harness = start_harness(services)
        try:
            yield harness, fake, sink
        finally:
            harness.close()
        harness.fake.assert_no_errors()


def status_of(slack: SlackHarness, card: dict[str, Any], rma: str) -> dict[str, Any]:
    return next(m for m in slack.fake.thread(CHANNEL, card["ts"])[1:] if rma in m.get("text", ""))


def buttons(message: dict[str, Any]) -> dict[str, str]:
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    return {e["action_id"]: e["text"]["text"] for b in actions for e in b["elements"]}


def open_form(slack: SlackHarness, order: str) -> tuple[dict[str, Any], dict[str, Any]]:
    card = card_for(slack, order)
    choose(slack, card, ReturnMenu.EDIT)
    modal = slack.fake.calls_to("views.update")[-1].response["view"]
    assert modal["callback_id"] == CallbackId.RETURN_MODAL
    return card, modal


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


def test_instant_drop_off_books_shipit_and_the_label_arrives_byte_for_byte(env: Env) -> None:
    slack, fake, sink = env
    card = card_for(slack, "#1005")  # Mikko Järvinen, Tampere FI
    choose(slack, card, ReturnMenu.INSTANT)
    fake.assert_no_rejections()

    [booking] = fake.calls_to("/customer-return")
    body = booking.body
    assert booking.method == "PUT" and booking.headers["x-shipit-key"] == fake.api_key
    assert (body["sender"]["postcode"], body["sender"]["country"]) == ("33100", "FI")  # the customer sends
    assert (body["receiver"]["postcode"], body["receiver"]["name"]) == ("00140", "Returnbot Demo Warehouse")
    assert body["reference"] == "R1005-1" and body["parcels"] == [{"weight": 1.0, "copies": 1}]
    assert body["serviceId"] == fake.service_id and body["returnShipment"] is True

    shipment = fake.data.shipments[0]
    [upload] = slack.fake.files
    assert upload.content == shipment.pdf and upload.filename == "return-label-R1005-1.pdf"
    text = block_texts(status_of(slack, card, "R1005-1"))
    assert shipment.tracking_number in text and "Shipit: Posti Return" in text
    assert "Drop-off points:" in text and "K-Market Tehtaankatu" in text

    [mail] = sink.messages
    assert attachment(mail) == shipment.pdf
    said = body_text(mail)
    assert "Lähimmät palautuspisteet:" in said  # the customer's language
    assert "• K-Market Tehtaankatu, Tehtaankatu 9, 33100 Tampere (350 m)" in said
    assert len(fake.calls_to("/agents")) == 1


def test_edited_drop_off_at_the_chosen_point_and_a_pickup_with_its_date(env: Env) -> None:
    slack, fake, _sink = env
    card, modal = open_form(slack, "#1016")  # Päivi Heikkilä, Oulu FI
    points = element(modal, BlockId.R_SERVICE_POINT)
    assert [o["value"] for o in points["options"]] == ["SP-FI-90100-1", "SP-FI-90100-2", "SP-FI-90100-3"]
    values = initial_values(modal)
    values[BlockId.R_SERVICE_POINT] = {ActionId.RETURN_FIELD: state_value(points, "SP-FI-90100-2")}
    assert submit(slack, modal, values)["response_action"] == "update"
    fake.assert_no_rejections()
    [booking] = fake.calls_to("/customer-return")
    assert booking.body["pickupId"] == "SP-FI-90100-2"
    assert "← chosen" in block_texts(status_of(slack, card, "R1016-1"))

    card, modal = open_form(slack, "#1011")  # Björn Åkesson, Göteborg SE: a pickup two days on
    values = initial_values(modal)
    day = (NOW + timedelta(days=2)).date()
    values[BlockId.R_DELIVERY] = {ActionId.RETURN_FIELD: state_value(element(modal, BlockId.R_DELIVERY), "pickup")}
    values[BlockId.R_PICKUP_DATE] = {ActionId.RETURN_FIELD: {"type": "datepicker", "selected_date": day.isoformat()}}
    values[BlockId.R_PICKUP_PHONE] = {ActionId.RETURN_FIELD: {"type": "plain_text_input", "value": "+46 70 123 45 67"}}
    submit(slack, modal, values)
    fake.assert_no_rejections()
    booking = fake.calls_to("/customer-return")[-1]
    assert booking.body["serviceId"] == fake.pickup_service_id and "pickupId" not in booking.body
    assert booking.body["sender"]["phone"] == "+46 70 123 45 67"
    [pickup] = fake.calls_to("/pick-ups")
    shipment = fake.data.shipments[-1]
    assert pickup.body["trackingNumber"] == shipment.tracking_number and pickup.body["date"] == day.isoformat()
    assert [f.content for f in slack.fake.files][-1] == shipment.pdf
    assert "Pickup from the customer on" in block_texts(status_of(slack, card, "R1011-1"))


def test_a_postcode_shipit_refuses_comes_back_into_the_form_beside_the_field(env: Env) -> None:
    slack, fake, _sink = env
    _card, modal = open_form(slack, "#1016")
    values = initial_values(modal)
    values[BlockId.R_ZIP] = {ActionId.RETURN_FIELD: {"type": "plain_text_input", "value": "9010"}}
    submit(slack, modal, values)
    assert fake.calls_to("/customer-return")[0].status == 200 and not fake.data.shipments
    again = slack.fake.views[modal["id"]]
    assert again["callback_id"] == CallbackId.RETURN_MODAL  # the form again, not a message
    zip_block = next(b for b in again["blocks"] if b.get("block_id") == BlockId.R_ZIP)
    assert zip_block["hint"]["text"].startswith("⚠️ The customer's address was refused by Shipit")
    assert "'9010' is not a valid postcode in FI" in zip_block["hint"]["text"]
    assert "sender." not in block_texts(again)  # no API field paths for agents
    assert slack.fake.files == []

    values[BlockId.R_ZIP] = {ActionId.RETURN_FIELD: {"type": "plain_text_input", "value": "90100"}}
    submit(slack, again, values)
    [upload] = slack.fake.files
    assert upload.filename == "return-label-R1016-2.pdf"  # the refused case was withdrawn, nothing booked for it
    assert returns.get_case(slack.services.db, "R1016-1").status == ReturnStatus.CANCELLED


def test_void_says_shipit_cannot_cancel_and_the_case_records_that_the_label_expires(env: Env) -> None:
    slack, fake, _sink = env
    card = card_for(slack, "#1005")
    choose(slack, card, ReturnMenu.INSTANT)
    status = status_of(slack, card, "R1005-1")
    void = find_element(status, ActionId.RETURN_VOID, "R1005-1")
    assert void["text"]["text"] == "Cancel return (label expires)"
    assert "Shipit cannot cancel a booked label" in void["confirm"]["text"]["text"]
    before = len(fake.calls)
    slack.click(status, ActionId.RETURN_VOID)
    assert len(fake.calls) == before  # nothing was asked of Shipit
    case = returns.get_case(slack.services.db, "R1005-1")
    assert case.status == ReturnStatus.CANCELLED
    text = block_texts(slack.fake.message(CHANNEL, status["ts"]))
    assert "label voided" in text and "Shipit cannot cancel labels: this one was not used and simply expires." in text


def test_shipit_down_is_said_in_the_thread_and_retry_books_once(env: Env) -> None:
    slack, fake, _sink = env
    fake.fail_next("503", path="/customer-return")
    card = card_for(slack, "#1005")
    choose(slack, card, ReturnMenu.INSTANT)
    status = status_of(slack, card, "R1005-1")
    assert "Shipit is having trouble (HTTP 503)" in block_texts(status)
    assert ActionId.RETURN_RETRY in buttons(status) and slack.fake.files == []
    slack.click(status, ActionId.RETURN_RETRY)
    # a 503 may hide a booking: the retry asks Shipit by the RMA first, finds none, and books
    assert [c.path for c in fake.calls if c.path in ("/customer-return", "/shipments")] == [
        "/customer-return", "/shipments", "/customer-return"
    ]  # fmt: skip
    assert len(fake.data.shipments) == 1 and len(slack.fake.files) == 1


@pytest.mark.parametrize("fault", ["book_then_drop", "book_then_timeout"])
def test_a_retry_after_a_booking_that_got_no_answer_keeps_that_booking(db: Database, fault: str) -> None:
    with smtp_sink() as (url, sink), shipit_services(db, url, timeout=0.5) as (services, fake):
        slack = start_harness(services)
        try:
            fake.fail_next(fault, path="/customer-return")
            card = card_for(slack, "#1005")
            choose(slack, card, ReturnMenu.INSTANT)
            status = status_of(slack, card, "R1005-1")
            assert "The booking may have been made" in block_texts(status)
            assert len(fake.data.shipments) == 1 and slack.fake.files == []  # booked at Shipit, not saved here

            patient = shipit_carrier(fake)  # the short time-out was for the fault: the retry must get its answers
            services.carrier = patient
            try:
                slack.click(status, ActionId.RETURN_RETRY)
            finally:
                patient.close()
            assert len(fake.calls_to("/customer-return")) == 1  # found by its reference: never booked twice
            [shipment] = fake.data.shipments
            [upload] = slack.fake.files
            assert upload.content == shipment.pdf
            assert attachment(sink.messages[0]) == shipment.pdf
            case = returns.get_case(services.db, "R1005-1")
            assert case.label is not None and case.label.tracking_number == shipment.tracking_number
            assert case.label.reference == shipment.shipit_number and case.booking == ""
        finally:
            slack.close()


def test_the_customers_country_picks_the_carrier_and_the_agent_may_choose_another(env: Env) -> None:
    slack, fake, _sink = env
    with_local(slack.services, slack.services.db, {"FI": "shipit", "LV": "local"})
    card = card_for(slack, "#1001")  # Riga, LV: the local carrier by CARRIER_BY_COUNTRY
    choose(slack, card, ReturnMenu.INSTANT)
    assert fake.calls_to("/customer-return") == []
    assert "RB" in block_texts(status_of(slack, card, "R1001-1"))

    _card, modal = open_form(slack, "#1016")  # Oulu, FI: Shipit first, local offered
    carriers = element(modal, BlockId.R_CARRIER)
    assert [o["value"] for o in carriers["options"]] == ["shipit", "local"]
    values = initial_values(modal)
    values[BlockId.R_CARRIER] = {ActionId.RETURN_FIELD: state_value(carriers, "local")}
    submit(slack, modal, values)
    assert fake.calls_to("/customer-return") == []
    assert returns.get_case(slack.services.db, "R1016-1").label.carrier == "local"  # type: ignore[union-attr]


class _NoLookup(ShipitCarrier):
    """Shipit as a carrier that could not be asked by our reference (as some carriers cannot)."""

    finds_by_reference = False


def test_a_carrier_that_cannot_be_asked_leaves_booking_unknown_to_the_agent(db: Database) -> None:
    with smtp_sink() as (url, _sink), shipit_services(db, url, timeout=0.5) as (services, fake):
        carrier = _NoLookup(api_key=fake.api_key, api_url=fake.url, service_id=fake.service_id, timeout=0.5)
        services.carrier = carrier
        slack = start_harness(services)
        try:
            fake.fail_next("book_then_drop", path="/customer-return")
            card = card_for(slack, "#1005")
            choose(slack, card, ReturnMenu.INSTANT)
            status = status_of(slack, card, "R1005-1")
            assert "Shipit may or may not have booked return R1005-1" in block_texts(status)
            assert list(buttons(status)) == [ActionId.RETURN_BOOK_AGAIN]  # nothing to check with: the agent looks
            assert returns.get_case(services.db, "R1005-1").booking == "unknown"

            with pytest.raises(returns.BookingUnknown):  # a retry (the scheduler's, a stale button) never books
                returns.create_label(services, "R1005-1")
            assert len(fake.calls_to("/customer-return")) == 1 and slack.fake.files == []

            slack.click(status, ActionId.RETURN_BOOK_AGAIN)  # the agent found no shipment R1005-1 at the carrier
            assert len(fake.calls_to("/customer-return")) == 2
            [upload] = slack.fake.files
            assert upload.content == fake.data.shipments[-1].pdf
            assert returns.get_case(services.db, "R1005-1").booking == ""
        finally:
            slack.close()
            carrier.close()


def test_an_instant_return_shipit_refuses_points_to_the_form_and_frees_its_items(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    slack, _fake, _sink = env
    monkeypatch.setitem(standin_api._POSTCODE, "FI", r"\d{6}")  # this Shipit refuses every Finnish postcode
    card = card_for(slack, "#1005")
    choose(slack, card, ReturnMenu.INSTANT)
    status = status_of(slack, card, "R1005-1")
    text = block_texts(status)
    assert "the customer's postcode: '33100' is not a valid postcode in FI" in text and "Fix it in the form" in text
    assert ActionId.RETURN_RETRY not in buttons(status)  # the same request would be refused again
    assert returns.get_case(slack.services.db, "R1005-1").status == ReturnStatus.CANCELLED
    _card, modal = open_form(slack, "#1005")  # the items are free again for the corrected form
    assert modal["callback_id"] == CallbackId.RETURN_MODAL
