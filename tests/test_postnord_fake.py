"""The fake PostNord holds requests to what PostNord documents: the key, the EDI instruction's required fields
and codes, reversed addresses, units and ISO country codes; and it can be run on its own for the shell."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from integrations.carriers.postnord import codes, edi
from integrations.carriers.postnord.standin import FakePostNord
from tests.postnord_env import NOW, a_return, fake_postnord


@pytest.fixture
def fake() -> Iterator[FakePostNord]:
    with fake_postnord() as postnord:
        yield postnord


def instruction(fake: FakePostNord) -> dict[str, Any]:
    return edi.instruction(a_return(), customer_number=fake.customer_number, issuer_code="Z12", now=NOW)


def book(fake: FakePostNord, body: Any, *, key: str | None = "right") -> httpx.Response:
    params = {} if key is None else {"apikey": fake.api_key if key == "right" else key}
    return httpx.post(fake.url + codes.RETURN_LABEL_PATH, params=params, json=body)


def test_a_well_formed_return_is_booked(fake: FakePostNord) -> None:
    answer = book(fake, instruction(fake))
    assert answer.status_code == 200
    info = answer.json()["bookingResponse"]["idInformation"][0]
    assert info["status"] == "OK" and {i["idType"] for i in info["ids"]} == {"itemId", "shipmentId"}
    types = [p["printout"]["type"] for p in answer.json()["labelPrintout"]]
    assert types == ["LABEL", "QRCODE"]
    fake.assert_no_rejections()


@pytest.mark.parametrize(("key", "status"), [(None, 401), ("wrong", 403)])
def test_the_key_is_checked_on_every_call(fake: FakePostNord, key: str | None, status: int) -> None:
    answer = book(fake, instruction(fake), key=key)
    assert answer.status_code == status and "message" in answer.json()
    assert fake.bookings == {}


def _broken(fake: FakePostNord, change: str) -> dict[str, Any]:
    body = copy.deepcopy(instruction(fake))
    shipment = body["shipment"][0]
    parties = shipment["parties"]
    match change:
        case "no message date":
            del body["messageDate"]
        case "weight in pounds":
            shipment["totalGrossWeight"]["unit"] = "LBR"
        case "weight in text":
            shipment["totalGrossWeight"]["value"] = "1.2"
        case "country by name":
            parties["consignor"]["party"]["address"]["countryCode"] = "Sweden"
        case "no customer number":
            del parties["consignor"]["partyIdentification"]
        case "not reversed":
            parties["consignor"]["party"], parties["consignee"]["party"] = (
                parties["consignee"]["party"], parties["consignor"]["party"])  # fmt: skip
        case "no issuer":
            del parties["consignor"]["issuerCode"]
        case "no item id":
            del shipment["goodsItem"][0]["items"][0]["itemIdentification"]
        case "no consignee":
            del parties["consignee"]
    return body


@pytest.mark.parametrize(
    "change",
    ["no message date", "weight in pounds", "weight in text", "country by name", "no customer number",
     "not reversed", "no issuer", "no item id", "no consignee"],
)  # fmt: skip
def test_a_malformed_instruction_is_refused_and_recorded(fake: FakePostNord, change: str) -> None:
    answer = book(fake, _broken(fake, change))
    assert answer.status_code == 400
    assert answer.json()["compositeFault"]["faults"]
    assert fake.rejected and fake.bookings == {}
    with pytest.raises(AssertionError):
        fake.assert_no_rejections()


def test_a_pickup_on_the_returns_endpoint_is_refused(fake: FakePostNord) -> None:
    body = instruction(fake)
    body["shipment"][0]["service"]["basicServiceCode"] = codes.RETURN_PICKUP
    answer = book(fake, body)
    assert answer.status_code == 400
    params = [f["paramValues"][0]["param"] for f in answer.json()["compositeFault"]["faults"]]
    assert any(p.endswith("basicServiceCode") for p in params)


def test_a_test_instruction_is_validated_but_not_booked(fake: FakePostNord) -> None:
    body = instruction(fake) | {"testIndicator": True}
    answer = httpx.post(fake.url + codes.RETURN_EDI_PATH, params={"apikey": fake.api_key}, json=body)
    assert answer.status_code == 201 and answer.json()["bookingResponse"]["idInformation"][0]["status"] == "OK"
    assert fake.bookings == {}


def test_item_ids_are_ssccs_with_a_valid_check_digit(fake: FakePostNord) -> None:
    book(fake, instruction(fake))
    (item_id,) = fake.bookings
    digits = item_id[2:]
    assert item_id.startswith("00") and len(digits) == 18
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    assert (10 - total % 10) % 10 == int(digits[-1])


def test_it_runs_on_its_own_and_prints_the_settings_to_use() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "integrations.carriers.postnord.standin"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        settings = dict(part.split("=", 1) for part in line.split())
        assert settings["CARRIER"] == "postnord" and settings["POSTNORD_API_URL"].startswith("http://127.0.0.1:")
        answer = httpx.get(settings["POSTNORD_API_URL"] + codes.TRACKING_PATH,
                           params={"id": "0", "apikey": settings["POSTNORD_API_KEY"]})  # fmt: skip
        assert answer.json() == {"TrackingInformationResponse": {"shipments": []}}
    finally:
        process.terminate()
        process.wait(timeout=10)
