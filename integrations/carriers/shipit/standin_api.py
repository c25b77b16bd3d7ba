"""What the fake Shipit answers (see standin.py): the checks a request must pass, and Shipit's answers.

Checked as the API documents them: the key; for a customer return the reversed addresses (the customer sends,
the shop receives), every required party field, ISO 3166-1 alpha-2 countries, a postcode of the country's
form, weights in kilograms (a weight in grams is refused as over the parcel limit), a known service id and a
reference. Refusals are Shipit's error body: HTTP 200 (400 for a malformed body) with `status: 0` and
`error: {code, message, messages[]}` whose messages name the field path (`sender.postcode: …`).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

PDF_LABEL_TEMPLATE = "{number}"  # what the fake prints on a label: its tracking number, read back by the tests
MAX_PARCEL_KG = 35
COUNTRIES = frozenset({"FI", "AX", "SE", "DK", "NO", "EE", "LV", "LT", "DE", "PL", "NL", "FR", "GB", "US"})
_POSTCODE = {"FI": r"\d{5}", "AX": r"22\d{3}", "SE": r"\d{3} ?\d{2}", "DK": r"\d{4}", "NO": r"\d{4}",
             "EE": r"\d{5}", "LV": r"(LV-)?\d{4}", "LT": r"(LT-)?\d{5}"}  # fmt: skip
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
PARTY_REQUIRED = ("name", "address", "postcode", "city", "country")

DEFAULT_METHODS = (
    {"serviceId": "posti.2108", "name": "Posti Return", "carrier": "Posti", "pickUpPoints": True},
    {"serviceId": "posti.2104", "name": "Posti Express Parcel with pickup", "carrier": "Posti",
     "homeDelivery": True},
    {"serviceId": "postnord.18", "name": "PostNord Parcel", "carrier": "PostNord", "pickUpPoints": True},
)  # fmt: skip


@dataclass
class Shipment:
    id: int
    tracking_number: str
    shipit_number: str
    reference: str
    service_id: str
    body: dict[str, Any]
    pdf: bytes = field(repr=False)
    created: datetime
    events: list[dict[str, Any]] = field(default_factory=list)
    pickups: list[dict[str, Any]] = field(default_factory=list)


class Refusal(Exception):
    def __init__(self, messages: list[str], *, status: int = 200, code: str = "VALIDATION_ERROR") -> None:
        super().__init__("; ".join(messages))
        self.messages, self.status, self.code = messages, status, code

    def body(self) -> dict[str, Any]:
        head = "Validation failed" if self.code == "VALIDATION_ERROR" else self.messages[0]
        return {"status": 0, "error": {"code": self.code, "message": head, "messages": self.messages}}


class ShipitData:
    """The fake account: its methods, shipments and drop-off points. Thread-safe."""

    def __init__(self, base_url: str, *, shop_zip: str = "", methods: tuple[dict[str, Any], ...] = DEFAULT_METHODS,
                 render: Any = None) -> None:  # fmt: skip
        self.base_url = base_url
        self.shop_zip = shop_zip  # when set, the receiver of a return must be the shop (reversed addresses)
        self.methods = list(methods)
        self.tracking_urls = True  # False: bookings come without trackingUrls (the link is asked for separately)
        self.shipments: list[Shipment] = []
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self._render = render

    # -- the endpoints -----------------------------------------------------------------------------

    def customer_return(self, body: Any, today: date, now: datetime) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Refusal(["body: a JSON object is required"], status=400, code="BAD_REQUEST")
        problems = self._party(body.get("sender"), "sender") + self._party(body.get("receiver"), "receiver")
        given = body.get("receiver")
        receiver: dict[str, Any] = given if isinstance(given, dict) else {}
        if self.shop_zip and receiver.get("postcode") and str(receiver["postcode"]).strip() != self.shop_zip:
            problems.append("receiver.postcode: a customer return goes to the merchant's own address")
        problems += _parcels(body.get("parcels"))
        service = str(body.get("serviceId") or "")
        if service not in {m["serviceId"] for m in self.methods}:
            problems.append(f"serviceId: unknown service {service!r}")
        if not str(body.get("reference") or "").strip():
            problems.append("reference: required")
        if body.get("pickupId") is not None and not str(body["pickupId"]).startswith("SP-"):
            problems.append("pickupId: unknown pickup point")
        if problems:
            raise Refusal(problems)
        with self._lock:
            serial = next(self._serial)
            number = f"JJFI6{serial:014d}"
            pdf = self._render(number) if self._render else b"%PDF-1.4\n% " + number.encode() + b"\n%%EOF\n"
            shipment = Shipment(serial, number, f"SHIPIT-{100000 + serial}", str(body["reference"]), service, body,
                                pdf, now, events=[{"status": "created", "timestamp": now.isoformat()}])  # fmt: skip
            self.shipments.append(shipment)
        return self._shipment_body(shipment) | {"status": 1}

    def pick_up(self, body: Any, today: date) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        problems = []
        shipment = self.find(str(body.get("trackingNumber") or ""))
        if shipment is None:
            problems.append("trackingNumber: no such shipment")
        try:
            day = date.fromisoformat(str(body.get("date") or ""))
            if day <= today:
                problems.append("date: a pick-up can be booked from the next working day")
        except ValueError:
            problems.append("date: YYYY-MM-DD required")
        for name in ("readyTime", "closeTime"):
            if not _TIME.fullmatch(str(body.get(name) or "")):
                problems.append(f"{name}: HH:MM required")
        if problems:
            raise Refusal(problems)
        assert shipment is not None
        with self._lock:
            shipment.pickups.append(body)
        return {"status": 1, "pickupId": f"PU-{shipment.id}", "date": body["date"]}

    def agents(self, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        country = str(body.get("country") or "")
        problems = []
        if country not in COUNTRIES:
            problems.append(f"country: {country!r} is not an ISO 3166-1 alpha-2 country code")
        elif not _postcode_ok(country, str(body.get("postcode") or "")):
            problems.append(f"postcode: not a postcode of {country}")
        if not isinstance(body.get("serviceId"), list) or not body["serviceId"]:
            problems.append("serviceId: a list of service ids is required")
        if problems:
            raise Refusal(problems)
        postcode = str(body["postcode"]).replace(" ", "")
        limit = int(body.get("limit") or 10)
        locations = [
            {"id": f"SP-{country}-{postcode}-{n}", "name": name, "address1": street, "zipcode": postcode,
             "city": str(body.get("city") or "").strip() or "Helsinki", "countryCode": country,
             "serviceId": body["serviceId"][0], "carrier": "Posti", "distanceInMeters": distance,
             "openingHours": hours}
            for n, (name, street, distance, hours) in enumerate(_POINTS, start=1)
        ]  # fmt: skip
        return {"status": 1, "locations": locations[:limit]}

    def tracking_events(self, body: Any) -> dict[str, Any]:
        numbers = body.get("trackingNumbers") if isinstance(body, dict) else None
        if not isinstance(numbers, list) or not numbers:
            raise Refusal(["trackingNumbers: a list of tracking numbers is required"])
        events = []
        for number in numbers:
            shipment = self.find(str(number))
            for event in shipment.events if shipment else []:
                events.append({"trackingNumber": shipment.tracking_number} | event)  # type: ignore[union-attr]
        return {"status": 1, "events": events}

    def tracking_link(self, number: str) -> dict[str, Any]:
        if self.find(number) is None:
            raise Refusal([f"trackingNumber: no such shipment {number!r}"], code="NOT_FOUND")
        return {"status": 1, "trackingNumber": number, "trackingUrl": f"https://tracking.example.com/{number}"}

    def list_shipments(self, per_page: int, cursor: str) -> dict[str, Any]:
        with self._lock:
            newest = list(reversed(self.shipments))
        start = int(cursor) if cursor.isdigit() else 0
        page = newest[start : start + per_page]
        more = start + per_page < len(newest)
        return {"status": 1, "data": [self._shipment_body(s) for s in page],
                "nextCursor": str(start + per_page) if more else ""}  # fmt: skip

    def label(self, shipment_id: int) -> bytes | None:
        with self._lock:
            return next((s.pdf for s in self.shipments if s.id == shipment_id), None)

    # -- helpers -----------------------------------------------------------------------------------

    def find(self, tracking_number: str) -> Shipment | None:
        with self._lock:
            return next((s for s in self.shipments if s.tracking_number == tracking_number), None)

    def _shipment_body(self, s: Shipment) -> dict[str, Any]:
        name = next((m["name"] for m in self.methods if m["serviceId"] == s.service_id), s.service_id)
        return {
            "trackingNumber": s.tracking_number, "shipitNumber": s.shipit_number, "orderId": str(s.id),
            "reference": s.reference, "serviceId": s.service_id, "serviceName": name,
            "trackingUrls": [f"https://tracking.example.com/{s.tracking_number}"] if self.tracking_urls else [],
            "freightDoc": [f"{self.base_url}/labels/{s.id}.pdf"],
        }  # fmt: skip

    @staticmethod
    def _party(value: Any, side: str) -> list[str]:
        if not isinstance(value, dict):
            return [f"{side}: required"]
        problems = [f"{side}.{name}: required" for name in PARTY_REQUIRED if not str(value.get(name) or "").strip()]
        country = str(value.get("country") or "")
        if country and country not in COUNTRIES:
            problems.append(f"{side}.country: {country!r} is not an ISO 3166-1 alpha-2 country code")
        elif country and value.get("postcode") and not _postcode_ok(country, str(value["postcode"])):
            problems.append(f"{side}.postcode: {value['postcode']!r} is not a valid postcode in {country}")
        return problems


_POINTS = (
    ("K-Market Tehtaankatu", "Tehtaankatu 9", 350, "Mon-Sun 07-23"),
    ("Posti Parcel Locker Eira", "Laivurinkatu 3", 820, "24h"),
    ("R-Kioski Kapteeninkatu", "Kapteeninkatu 1", 1400, "Mon-Fri 07-21, Sat-Sun 09-21"),
    ("Alepa Punavuori", "Pursimiehenkatu 17", 1900, "Mon-Sun 07-22"),
)


def _postcode_ok(country: str, postcode: str) -> bool:
    pattern = _POSTCODE.get(country)
    return pattern is None or re.fullmatch(pattern, postcode.strip()) is not None


def _parcels(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        return ["parcels: at least one parcel is required"]
    problems = []
    for n, p in enumerate(value):
        weight = p.get("weight") if isinstance(p, dict) else None
        if not isinstance(weight, int | float) or weight <= 0:
            problems.append(f"parcels[{n}].weight: a weight in kg is required")
        elif weight > MAX_PARCEL_KG:
            problems.append(f"parcels[{n}].weight: {weight} kg is over the {MAX_PARCEL_KG} kg limit (kg, not grams)")
        for side in ("length", "width", "height"):
            if isinstance(p, dict) and side in p and (not isinstance(p[side], int | float) or p[side] <= 0):
                problems.append(f"parcels[{n}].{side}: centimetres, a positive number")
    return problems
