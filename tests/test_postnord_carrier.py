"""The PostNord adapter against the fake PostNord: bookings (drop-off with a QR code, pickup), what PostNord
refuses and how the agent hears it, every failure of the line, tracking, service points and the doctor's check."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pypdfium2 as pdfium
import pytest

from domain.carrier import Carrier, CarrierError, Parcel
from domain.vocabulary import Delivery, LabelStatus
from integrations.carriers.postnord import codes
from integrations.carriers.postnord.standin import FakePostNord
from tests.postnord_env import CUSTOMER, a_return, carrier_for, fake_postnord


@pytest.fixture
def fake() -> Iterator[FakePostNord]:
    with fake_postnord() as postnord:
        yield postnord


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def test_it_is_a_carrier(fake: FakePostNord) -> None:
    carrier = carrier_for(fake)
    assert isinstance(carrier, Carrier)
    assert (carrier.name, carrier.title, carrier.can_void, carrier.finds_by_reference) == (
        "postnord", "PostNord", False, True)  # fmt: skip
    assert list(carrier.deliveries) == [Delivery.DROP_OFF, Delivery.PICKUP]


def test_a_drop_off_is_booked_as_a_return_with_the_label_and_qr_code_postnord_made(fake: FakePostNord) -> None:
    label = carrier_for(fake).create_return_shipment(a_return())

    booking = fake.bookings[label.tracking_number]
    assert label.pdf == booking.pdf  # the carrier's document, unchanged
    assert label.tracking_number in pdf_text(label.pdf)
    assert label.service == "PostNord Return Drop Off"
    assert label.qr_code == booking.qr_code != ""
    assert label.reference == booking.shipment_id
    assert label.tracking_url.endswith(f"?id={label.tracking_number}")
    fake.assert_no_rejections()
    (call,) = fake.calls
    assert (call.method, call.path, call.key) == ("POST", codes.RETURN_LABEL_PATH, "right")
    assert call.params["addQRCODE"] == "true" and call.params["paperSize"] == "A4"
    shipment = call.body["shipment"][0]
    assert shipment["service"]["basicServiceCode"] == "24"
    assert shipment["totalGrossWeight"] == {"value": 1.2, "unit": "KGM"}
    assert shipment["references"] == [{"referenceNo": "RMA-1001-1", "referenceType": "CU"}]
    consignor, consignee = shipment["parties"]["consignor"], shipment["parties"]["consignee"]
    # reversed: the customer sends, the shop receives; the shop's agreement pays
    assert consignor["party"]["address"] == {"streets": ["Terminalvägen 14"], "postalCode": "17173", "city": "Solna",
                                             "countryCode": "SE"}  # fmt: skip
    assert consignor["partyIdentification"] == {"partyId": fake.customer_number, "partyIdType": "160"}
    assert consignor["issuerCode"] == "Z12"  # the shop's country: Sweden
    assert consignee["party"]["address"]["postalCode"] == "11459"
    assert consignor["party"]["contact"]["emailAddress"] == "anna@example.com"


def test_a_booking_answered_without_its_label_has_it_printed_by_item_id(fake: FakePostNord) -> None:
    fake.labels_in_booking = False
    label = carrier_for(fake).create_return_shipment(a_return())
    assert label.pdf == fake.bookings[label.tracking_number].pdf
    assert [c.path for c in fake.calls] == [codes.RETURN_LABEL_PATH, codes.LABELS_BY_ID_PATH]
    assert fake.calls[-1].body == [{"id": label.tracking_number}]


def test_the_issuer_code_follows_the_shops_country_unless_set(fake: FakePostNord) -> None:
    carrier_for(fake).create_return_shipment(a_return())
    carrier_for(fake, issuer_code="Z14").create_return_shipment(a_return(rma="RMA-1001-2"))
    issuers = [c.body["shipment"][0]["parties"]["consignor"]["issuerCode"] for c in fake.calls]
    assert issuers == ["Z12", "Z14"]


def test_a_pickup_is_booked_with_the_pickup_service_on_the_day_asked(fake: FakePostNord) -> None:
    label = carrier_for(fake).create_return_shipment(a_return(Delivery.PICKUP, grams=24_500))

    assert label.service == "PostNord Return Pickup" and label.qr_code == ""
    assert label.pdf == fake.bookings[label.tracking_number].pdf
    fake.assert_no_rejections()
    (call,) = fake.calls
    assert call.path == codes.EDI_LABEL_PATH
    shipment = call.body["shipment"][0]
    assert shipment["service"]["basicServiceCode"] == "20"
    assert shipment["dateAndTimes"]["earliestPickupDate"] == "2026-12-01T09:00:00"
    assert shipment["parties"]["consignor"]["party"]["contact"]["phoneNo"] == CUSTOMER.phone


def test_a_pickup_is_suggested_from_the_configured_weight_on(fake: FakePostNord) -> None:
    carrier = carrier_for(fake, pickup_min_grams=15_000)
    assert carrier.suggested_delivery(Parcel(14_999)) == Delivery.DROP_OFF
    assert carrier.suggested_delivery(Parcel(15_000)) == Delivery.PICKUP


def test_a_postcode_postnord_refuses_becomes_an_address_field_error(fake: FakePostNord) -> None:
    sender = replace(CUSTOMER, zip="1717")
    with pytest.raises(CarrierError) as refused:
        carrier_for(fake).create_return_shipment(a_return(sender=sender))
    assert set(refused.value.fields) == {"address"}
    assert "1717" in refused.value.fields["address"] and "postcode" in refused.value.fields["address"]
    assert not refused.value.retryable and not refused.value.maybe_booked
    assert fake.bookings == {}
    fake.assert_no_rejections()  # a refusal on the merits, not a malformed request


def test_a_country_postnord_does_not_serve_is_an_address_field_error(fake: FakePostNord) -> None:
    sender = replace(CUSTOMER, country="US", zip="10001", city="New York")
    with pytest.raises(CarrierError) as refused:
        carrier_for(fake).create_return_shipment(a_return(sender=sender))
    assert "US" in refused.value.fields["address"]


def test_a_pickup_on_a_saturday_is_a_pickup_date_field_error(fake: FakePostNord) -> None:
    with pytest.raises(CarrierError) as refused:
        carrier_for(fake).create_return_shipment(a_return(Delivery.PICKUP, pickup_date=date(2026, 12, 5)))
    assert set(refused.value.fields) == {"pickup_date"}


def test_what_postnord_would_refuse_is_said_before_asking(fake: FakePostNord) -> None:
    no_phone = replace(CUSTOMER, phone="")
    with pytest.raises(CarrierError) as refused:
        carrier_for(fake).create_return_shipment(a_return(Delivery.PICKUP, sender=no_phone))
    assert set(refused.value.fields) == {"pickup_phone"}
    with pytest.raises(CarrierError) as heavy:
        carrier_for(fake).create_return_shipment(a_return(grams=21_000))
    assert set(heavy.value.fields) == {"weight"} and "20 kg" in heavy.value.message
    with pytest.raises(CarrierError) as incomplete:
        carrier_for(fake).create_return_shipment(a_return(sender=replace(CUSTOMER, address1="", city="")))
    assert "street" in incomplete.value.fields["address"] and "city" in incomplete.value.fields["address"]
    assert fake.calls == []


def test_a_customer_number_postnord_does_not_know_names_the_setting(fake: FakePostNord) -> None:
    with pytest.raises(CarrierError) as refused:
        carrier_for(fake, customer_number="999").create_return_shipment(a_return())
    assert "POSTNORD_CUSTOMER_NUMBER" in refused.value.message
    assert refused.value.fields == {} and not refused.value.retryable


@pytest.mark.parametrize("kind", ["401", "403"])
def test_a_refused_key_names_the_setting(fake: FakePostNord, kind: str) -> None:
    fake.fail_next(kind)
    with pytest.raises(CarrierError) as refused:
        carrier_for(fake).create_return_shipment(a_return())
    assert "POSTNORD_API_KEY" in refused.value.message and f"HTTP {kind}" in refused.value.message
    assert not refused.value.retryable and not refused.value.maybe_booked


def test_a_wrong_key_is_refused_by_the_fake_as_by_postnord(fake: FakePostNord) -> None:
    with pytest.raises(CarrierError) as refused:
        carrier_for(fake, api_key="not-the-key").tracking_status("00373500450001000019")
    assert "POSTNORD_API_KEY" in refused.value.message
    assert fake.calls[0].status == 403 and fake.calls[0].key == "wrong"


def test_a_rate_limited_booking_is_not_sent_again(fake: FakePostNord) -> None:
    fake.fail_next("429")
    with pytest.raises(CarrierError) as busy:
        carrier_for(fake).create_return_shipment(a_return())
    assert busy.value.retryable and not busy.value.maybe_booked
    assert "rate-limiting" in busy.value.message
    assert len(fake.calls) == 1 and fake.bookings == {}


def test_a_rate_limited_read_is_asked_again_after_retry_after(fake: FakePostNord) -> None:
    label = carrier_for(fake).create_return_shipment(a_return())
    waits: list[float] = []
    fake.fail_next("429", retry_after=1.5)
    fake.fail_next("503", retry_after=0.5)
    assert carrier_for(fake, sleep=waits.append).tracking_status(label.tracking_number) == LabelStatus.UNKNOWN
    assert len(waits) == 2 and 1.5 <= waits[0] <= 1.5 * 1.1 and 0.5 <= waits[1] <= 0.5 * 1.1


def test_a_read_postnord_keeps_refusing_gives_up_in_words(fake: FakePostNord) -> None:
    fake.fail_next("503", times=5)
    with pytest.raises(CarrierError) as down:
        carrier_for(fake).tracking_status("00373500450001000019")
    assert down.value.retryable and "temporarily unavailable" in down.value.message
    assert len(fake.calls) == 3


@pytest.mark.parametrize(("kind", "maybe_booked"), [("500", True), ("502_html", True), ("503", False)])
def test_a_failing_postnord_is_said_and_whether_the_booking_may_exist(
    fake: FakePostNord, kind: str, maybe_booked: bool
) -> None:
    fake.fail_next(kind)
    with pytest.raises(CarrierError) as failed:
        carrier_for(fake).create_return_shipment(a_return())
    assert failed.value.retryable and failed.value.maybe_booked is maybe_booked
    assert "PostNord" in failed.value.message and "Traceback" not in failed.value.message


def test_a_booking_left_unanswered_may_exist_and_is_found_by_its_rma(fake: FakePostNord) -> None:
    fake.fail_next("book_then_timeout")
    carrier = carrier_for(fake, timeout=0.5)
    with pytest.raises(CarrierError) as unanswered:
        carrier.create_return_shipment(a_return())
    assert unanswered.value.retryable and unanswered.value.maybe_booked
    assert "may have been booked" in unanswered.value.message

    patient = carrier_for(fake)  # the short time-out was for the fault: the look-ups must get their answers
    found = patient.find_shipment("RMA-1001-1")
    booking = fake.booking_for("RMA-1001-1")
    assert found is not None and booking is not None
    assert found.tracking_number == booking.item_id and found.pdf == booking.pdf
    assert found.service == "PostNord Return Drop Off" and found.reference == booking.shipment_id
    assert patient.find_shipment("RMA-1001-2") is None
    assert len(fake.bookings) == 1


def test_a_time_out_before_booking_leaves_nothing_to_find(fake: FakePostNord) -> None:
    fake.fail_next("timeout")
    carrier = carrier_for(fake, timeout=0.5)
    with pytest.raises(CarrierError) as unanswered:
        carrier.create_return_shipment(a_return())
    assert unanswered.value.maybe_booked  # the bot cannot know: it looks
    assert carrier_for(fake).find_shipment("RMA-1001-1") is None


def test_an_unreachable_postnord_booked_nothing(fake: FakePostNord) -> None:
    with socket.socket() as s:  # bound, never listening: no other test's server can take the port meanwhile
        s.bind(("127.0.0.1", 0))
        carrier = carrier_for(fake, api_url=f"http://127.0.0.1:{s.getsockname()[1]}")
        with pytest.raises(CarrierError) as unreachable:
            carrier.create_return_shipment(a_return())
    assert unreachable.value.retryable and not unreachable.value.maybe_booked
    assert "could not be reached" in unreachable.value.message


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("CREATED", LabelStatus.UNKNOWN),
        ("INFORMED", LabelStatus.UNKNOWN),
        ("EN_ROUTE", LabelStatus.IN_TRANSIT),
        ("AVAILABLE_FOR_DELIVERY", LabelStatus.IN_TRANSIT),
        ("DELAYED", LabelStatus.IN_TRANSIT),
        ("DELIVERED", LabelStatus.DELIVERED),
        ("RETURNED", LabelStatus.UNKNOWN),
        ("STOPPED", LabelStatus.UNKNOWN),
    ],
)
def test_tracking_maps_postnord_item_statuses(fake: FakePostNord, status: str, expected: LabelStatus) -> None:
    carrier = carrier_for(fake)
    label = carrier.create_return_shipment(a_return())
    fake.scan(label.tracking_number, status)
    assert carrier.tracking_status(label.tracking_number) == expected
    call = fake.calls[-1]
    assert call.path == codes.TRACKING_PATH and call.params["id"] == label.tracking_number


def test_a_parcel_postnord_does_not_know_has_no_news(fake: FakePostNord) -> None:
    assert carrier_for(fake).tracking_status("00373500459999999999") == LabelStatus.UNKNOWN


def test_the_nearest_service_points_by_address(fake: FakePostNord) -> None:
    points = carrier_for(fake).service_points(CUSTOMER)

    assert [p.distance_m for p in points] == [350, 800, 1250]
    first = points[0]
    assert first.country == "SE" and first.zip == "17173" and first.city == "Solna" and first.id
    assert first.one_line() == "ICA Nära Solna, Terminalvägen 10, 17173 Solna (350 m)"
    assert first.opening_hours == "Mon–Fri 08:00–21:00, Sat 10:00–18:00"
    (call,) = fake.calls
    assert call.params == {"returnType": "json", "countryCode": "SE", "numberOfServicePoints": "3",
                           "postalCode": "17173", "city": "Solna", "streetName": "Terminalvägen",
                           "streetNumber": "14"}  # fmt: skip
    fake.assert_no_rejections()


def test_no_service_points_where_postnord_has_none(fake: FakePostNord) -> None:
    carrier = carrier_for(fake)
    assert carrier.service_points(replace(CUSTOMER, country="US", zip="10001", city="New York")) == []
    assert carrier.service_points(replace(CUSTOMER, zip="", city="")) == []


def test_a_chosen_service_point_goes_along_with_the_drop_off(fake: FakePostNord) -> None:
    carrier = carrier_for(fake)
    point = carrier.service_points(CUSTOMER)[1]
    carrier.create_return_shipment(replace(a_return(), service_point_id=point.id))
    delivery = fake.calls[-1].body["shipment"][0]["parties"]["deliveryParty"]
    assert delivery == {"partyIdentification": {"partyId": point.id, "partyIdType": "156"}}
    fake.assert_no_rejections()


def test_void_says_postnord_cannot_and_the_label_expires(fake: FakePostNord) -> None:
    with pytest.raises(CarrierError) as refused:
        carrier_for(fake).void("00373500450001000019")
    assert "expires" in refused.value.message
    assert fake.calls == []


def test_the_doctor_check_passes_and_books_nothing(fake: FakePostNord) -> None:
    assert carrier_for(fake).check() == []
    assert fake.bookings == {}
    validations = [c for c in fake.calls if c.method == "POST"]
    assert {c.path for c in validations} == {codes.RETURN_EDI_PATH, codes.EDI_PATH}
    assert all(c.body["testIndicator"] is True for c in validations)
    fake.assert_no_rejections()


def test_the_doctor_check_names_what_to_fix(fake: FakePostNord) -> None:
    (key,) = carrier_for(fake, api_key="wrong-key").check()
    assert key.startswith("POSTNORD_API_KEY is refused by PostNord (HTTP 403)") and "wrong-key" not in key
    agreement = carrier_for(fake, customer_number="999").check()
    assert len(agreement) == 2 and all("POSTNORD_CUSTOMER_NUMBER" in p for p in agreement)
    missing = carrier_for(fake, api_key="", customer_number="").check()
    assert [p.split(" ")[0] for p in missing] == ["POSTNORD_API_KEY", "POSTNORD_CUSTOMER_NUMBER"]
    assert carrier_for(fake, issuer_code="Z99").check()[0].startswith("POSTNORD_ISSUER_CODE=Z99")
    assert carrier_for(fake).check() == []
    with socket.socket() as s:  # bound, never listening
        s.bind(("127.0.0.1", 0))
        unreachable = carrier_for(fake, api_url=f"http://127.0.0.1:{s.getsockname()[1]}")
        assert unreachable.check()[0].startswith("POSTNORD_API_URL:")


def test_the_api_key_is_never_in_a_message_or_a_log(fake: FakePostNord, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    carrier = carrier_for(fake)
    impatient = carrier_for(fake, timeout=0.5)  # only for the time-out itself
    said: list[str] = [repr(carrier), repr(impatient)]
    label = carrier.create_return_shipment(a_return())
    carrier.tracking_status(label.tracking_number)
    carrier.service_points(CUSTOMER)
    for kind in ("401", "429", "500", "502_html", "503", "timeout", "drop"):
        fake.fail_next(kind)
        with pytest.raises(CarrierError) as failed:
            (impatient if kind == "timeout" else carrier).create_return_shipment(a_return(rma=f"RMA-{kind}"))
        said.append(failed.value.message)
    with pytest.raises(CarrierError) as refused:
        carrier.create_return_shipment(a_return(sender=replace(CUSTOMER, zip="1")))
    said.extend([refused.value.message, *refused.value.fields.values()])
    said.extend(carrier_for(fake, customer_number="999").check())

    logged = [record.getMessage() for record in caplog.records]
    assert any("HTTP Request" in line for line in logged)  # httpx logged its requests: without the key
    assert all(call.key == "right" for call in fake.calls if call.outcome != "unauthorized")
    for text in said + logged:
        assert fake.api_key not in text
    assert "apikey" not in " ".join(logged)
