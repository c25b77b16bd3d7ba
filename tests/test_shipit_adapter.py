"""The Shipit adapter against the fake Shipit on 127.0.0.1: auth (key, checksum), failures in words (401, 429, 5xx,
time-outs: which may hide a booking and which cannot), service points, tracking into the return's lifecycle, and
finding a booking by its reference."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from commands import returns
from commands.tick import tick
from domain.carrier import Carrier, CarrierError, Parcel, ReturnItem, ReturnShipmentRequest
from domain.orders import Address
from domain.vocabulary import Delivery, LabelStatus, ReturnStatus
from integrations.carriers.shipit import ShipitCarrier
from integrations.carriers.shipit.standin import FakeShipit
from storage.db import Database
from tests.carrier_env import shipit_carrier
from tests.lifecycle_env import WAREHOUSE, RecordingNotifier, clock_of, label_return, make_services, order_id

CUSTOMER = Address(name="Mikko Järvinen", address1="Hämeenkatu 1", zip="33100", city="Tampere", country="FI",
                   phone="+358 40 123 4567")  # fmt: skip
TODAY = date(2026, 11, 23)


def request(rma: str = "R1005-1", **changes: object) -> ReturnShipmentRequest:
    values: dict[str, object] = {
        "rma": rma, "order_name": "#1005", "sender": CUSTOMER, "receiver": WAREHOUSE, "parcel": Parcel(1500),
        "delivery": Delivery.DROP_OFF, "items": [ReturnItem("Beanie", "B1", 1)], "created": TODAY,
    }  # fmt: skip
    return ReturnShipmentRequest(**(values | changes))  # type: ignore[arg-type]


@pytest.fixture
def fake() -> FakeShipit:
    with FakeShipit(shop_zip=WAREHOUSE.zip, today=lambda: TODAY) as running:
        yield running  # type: ignore[misc]


def test_a_return_is_the_reversed_shipment_in_kilograms_with_the_label_unchanged(fake: FakeShipit) -> None:
    carrier = shipit_carrier(fake)
    assert isinstance(carrier, Carrier)
    label = carrier.create_return_shipment(request(parcel=Parcel(1500, 30, 20, 10)))
    fake.assert_no_rejections()
    body = fake.calls_to("/customer-return")[0].body
    assert body["sender"]["name"] == "Mikko Järvinen" and body["receiver"]["postcode"] == WAREHOUSE.zip
    assert body["parcels"] == [{"weight": 1.5, "copies": 1, "length": 30, "width": 20, "height": 10}]
    [shipment] = fake.data.shipments
    assert label.pdf == shipment.pdf and label.pdf.startswith(b"%PDF")
    assert (label.tracking_number, label.reference) == (shipment.tracking_number, shipment.shipit_number)
    assert label.tracking_url == f"https://tracking.example.com/{shipment.tracking_number}"


def test_the_checksum_variant_signs_every_body(fake: FakeShipit) -> None:
    fake.api_secret = "s3cret"
    with pytest.raises(CarrierError, match="refused the API key"):
        shipit_carrier(fake).create_return_shipment(request())
    label = shipit_carrier(fake, api_secret="s3cret").create_return_shipment(request())
    assert label.tracking_number and "x-shipit-checksum" in fake.calls_to("/customer-return")[-1].headers


@pytest.mark.parametrize(
    ("fault", "words", "retryable", "maybe_booked"),
    [
        ("401", "Shipit refused the API key (HTTP 401): ask an administrator to check SHIPIT_API_KEY.", False, False),
        ("429", "Shipit is limiting how often the bot may call it. Try again in 1 seconds.", True, False),
        ("500", "Shipit is having trouble (HTTP 500). The booking may have been made.", True, True),
        ("book_then_drop", "The connection to Shipit broke off. The booking may have been made.", True, True),
        ("book_then_timeout", "Shipit did not answer in time. The booking may have been made.", True, True),
    ],
)
def test_failures_are_said_in_words_and_say_whether_a_booking_may_exist(
    fake: FakeShipit, fault: str, words: str, retryable: bool, maybe_booked: bool
) -> None:
    fake.fail_next(fault)
    with pytest.raises(CarrierError) as failed:
        # a short time-out only where the fault is one: every other answer must arrive to be judged
        shipit_carrier(fake, timeout=0.5 if fault == "book_then_timeout" else 5.0).create_return_shipment(request())
    assert failed.value.message.startswith(words)
    assert (failed.value.retryable, failed.value.maybe_booked) == (retryable, maybe_booked)
    assert fake.api_key not in failed.value.message


def test_nothing_listening_is_no_booking() -> None:
    with socket.socket() as s:  # bound, never listening: no other test's server can take the port meanwhile
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        carrier = ShipitCarrier(api_key="k", api_url=f"http://127.0.0.1:{port}/v1", service_id="posti.2108")
        with pytest.raises(CarrierError) as failed:
            carrier.create_return_shipment(request())
    assert failed.value.retryable and not failed.value.maybe_booked
    assert failed.value.message == "Shipit could not be reached (no connection). Try again in a moment."


def test_refusals_name_the_form_fields_in_plain_words(fake: FakeShipit) -> None:
    bad = Address(name="", address1="Hämeenkatu 1", zip="ABC", city="Tampere", country="FIN")
    with pytest.raises(CarrierError) as failed:
        shipit_carrier(fake).create_return_shipment(request(sender=bad, parcel=Parcel(40_000)))
    assert not failed.value.retryable and not failed.value.maybe_booked
    assert set(failed.value.fields) == {"address", "weight"}
    assert "the customer's name: required" in failed.value.message and "sender." not in failed.value.message
    assert "over the 35 kg limit" in failed.value.fields["weight"]


def test_the_nearest_service_points_and_the_one_chosen(fake: FakeShipit) -> None:
    carrier = shipit_carrier(fake)
    points = carrier.service_points(CUSTOMER, 3)
    assert [p.distance_m for p in points] == [350, 820, 1400]
    assert points[1].one_line() == "Posti Parcel Locker Eira, Laivurinkatu 3, 33100 Tampere (820 m)"
    assert points[0].opening_hours == "Mon-Sun 07-23"
    assert fake.calls_to("/agents")[0].body["serviceId"] == [fake.service_id]
    carrier.create_return_shipment(request(service_point_id=points[1].id))
    assert fake.calls_to("/customer-return")[0].body["pickupId"] == points[1].id
    assert carrier.service_points(Address(name="x"), 3) == []  # no postcode: nothing to ask


def test_a_pickup_is_booked_for_the_day_and_a_refused_pickup_is_said_beside_the_label(fake: FakeShipit) -> None:
    carrier = shipit_carrier(fake)
    pickup = request(delivery=Delivery.PICKUP, pickup_date=TODAY + timedelta(days=1), pickup_phone="+358401112223")
    label = carrier.create_return_shipment(pickup)
    assert label.problem == "" and fake.data.shipments[0].pickups[0]["date"] == "2026-11-24"
    assert fake.calls_to("/customer-return")[0].body["serviceId"] == fake.pickup_service_id
    late = carrier.create_return_shipment(replace_rma(pickup, "R1005-2", TODAY))  # today: too late for Shipit
    assert late.tracking_number and late.problem.startswith("The pickup was not booked:")
    assert ShipitCarrier(api_key="k", service_id="posti.2108").deliveries == (Delivery.DROP_OFF,)  # no pickup id


def replace_rma(req: ReturnShipmentRequest, rma: str, day: date) -> ReturnShipmentRequest:
    return replace(req, rma=rma, pickup_date=day)


def test_a_booking_is_found_by_its_reference_across_pages(fake: FakeShipit) -> None:
    carrier = shipit_carrier(fake)
    first = carrier.create_return_shipment(request("R1-1"))
    for n in range(60):  # the booking sought is now on the second page, newest first
        carrier.create_return_shipment(request(f"R2-{n}"))
    found = carrier.find_shipment("R1-1")
    assert found is not None and found.tracking_number == first.tracking_number and found.pdf == first.pdf
    assert carrier.find_shipment("R9-9") is None
    assert [c.path for c in fake.calls].count("/customer-return") == 61


def test_void_is_refused_in_words_and_tracking_moves_the_return(db: Database, tmp_path: Path) -> None:
    with FakeShipit(shop_zip=WAREHOUSE.zip) as fake:
        services = make_services(db, tmp_path)
        carrier = shipit_carrier(fake)
        services.carrier = carrier
        rma = label_return(services, "#1005")
        case = returns.get_case(db, rma)
        assert case.label is not None and case.label.carrier == "shipit"
        with pytest.raises(CarrierError, match="cannot cancel a booked label"):
            carrier.void(case.label.tracking_number)
        assert carrier.tracking_status(case.label.tracking_number) == LabelStatus.UNKNOWN  # only "created"

        notifier = RecordingNotifier()
        clock = clock_of(services)
        fake.scan(case.label.tracking_number, "in_transit")
        tick(services, notifier, now=clock(), owner="t")
        assert returns.get_case(db, rma).status == ReturnStatus.IN_TRANSIT
        fake.scan(case.label.tracking_number, "delivered")
        clock.advance(timedelta(hours=7))
        tick(services, notifier, now=clock(), owner="t")
        assert returns.get_case(db, rma).status == ReturnStatus.RECEIVED
        assert fake.calls_to("/query-tracking-events")[0].body == {"trackingNumbers": [case.label.tracking_number]}
        carrier.close()


def test_a_crash_between_booking_and_saving_is_healed_by_the_reference(db: Database, tmp_path: Path) -> None:
    """The hardening's crash window: Shipit booked, the bot died before saving. The intent was stored first, so the
    next try asks Shipit by the RMA and keeps that booking."""
    with FakeShipit(shop_zip=WAREHOUSE.zip) as fake:
        services = make_services(db, tmp_path)
        real = shipit_carrier(fake)

        class DiesAfterBooking:
            def create_return_shipment(self, req: ReturnShipmentRequest) -> object:
                real.create_return_shipment(req)
                raise RuntimeError("the process died here")

            def __getattr__(self, name: str) -> object:
                return getattr(real, name)

        services.carrier = DiesAfterBooking()  # type: ignore[assignment]
        draft = returns.draft_return(services, order_id(services, "#1005"))
        rma = returns.open_case(services, draft, returns.default_form(draft, services), "U1").case.rma
        with pytest.raises(RuntimeError):
            returns.create_label(services, rma)
        assert returns.get_case(db, rma).booking == "sent"  # stored before Shipit was called
        services.carrier = real
        case = returns.create_label(services, rma)
        [shipment] = fake.data.shipments
        assert case.label is not None and case.label.tracking_number == shipment.tracking_number
        assert len(fake.calls_to("/customer-return")) == 1
        real.close()


def test_without_a_tracking_url_in_the_booking_the_tracking_link_is_asked_beside_the_label(fake: FakeShipit) -> None:
    fake.data.tracking_urls = False
    label = shipit_carrier(fake).create_return_shipment(request())
    assert label.tracking_url == f"https://tracking.example.com/{label.tracking_number}"
    assert [c.path for c in fake.calls][-2:] in (
        [f"/tracking-link/{label.tracking_number}", "/labels/1.pdf"],
        ["/labels/1.pdf", f"/tracking-link/{label.tracking_number}"],
    )  # both after the booking, side by side
