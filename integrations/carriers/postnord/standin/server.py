"""A fake PostNord on 127.0.0.1 for tests, benchmarks and the shell: the Booking (returns EDI with PDF labels and
QR codes, EDI with labels, labels by item id), Track and Trace (by identifier, by customer reference) and
Service Points (nearest by address) APIs, as PostNord documents them.

It checks what PostNord checks: the `apikey` query parameter on every call (a missing key 401, a wrong one
403), the EDI instruction's required fields and codes, units and ISO country codes, the reversed addresses
of a return (customer = consignor, shop = consignee), and business rules (postcodes, weights, pickup days),
answering refusals with PostNord's `errorResponse`. Requests our code should never send are recorded in
`rejected` (tests call `assert_no_rejections`). Faults on demand: 401, 403, 429 (with Retry-After), 500, 503,
an HTML 502, a time-out (no answer until the client gives up), a booking made and then left unanswered, a
dropped connection.

    with FakePostNord() as postnord:
        carrier = PostNordCarrier(api_key=postnord.api_key, api_url=postnord.url,
                                  customer_number=postnord.customer_number)
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from integrations.carriers.postnord import codes
from integrations.carriers.postnord.standin import documents
from integrations.carriers.postnord.standin.checks import SERVICE_COUNTRIES, Agreement, Fault, read_instruction
from integrations.loopback import LoopbackHandler, LoopbackServer
from integrations.mail.qr_image import qr_png

FAULT_KINDS = ("401", "403", "429", "500", "502_html", "503", "timeout", "book_then_timeout", "drop")
DEFAULT_KEY = "fake0postnord0key0000000000000001"  # 32 characters, as PostNord's keys
DEFAULT_CUSTOMER = "0123456789"
BAD_GATEWAY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
_BY_REFERENCE = re.compile(r"/rest/shipment/v7/trackandtrace/customernumber/([^/]+)/reference/([^/]+)/public")
_LABEL_SERVICES = {
    codes.RETURN_LABEL_PATH: frozenset({codes.RETURN_DROP_OFF}),
    codes.RETURN_EDI_PATH: frozenset({codes.RETURN_DROP_OFF}),
    # the ordinary EDI takes the pickup and the outbound parcel services, not the return drop-off
    codes.EDI_LABEL_PATH: frozenset({codes.RETURN_PICKUP, "17", "18", "19", "30"}),
    codes.EDI_PATH: frozenset({codes.RETURN_PICKUP, "17", "18", "19", "30"}),
}


@dataclass(frozen=True)
class PostNordCall:
    """One request as the fake saw it; `params` never holds the key (`key` says what it was)."""

    method: str
    path: str
    params: dict[str, str]
    body: Any
    status: int  # 0: the connection was closed without an answer
    outcome: str  # ok | refused | unauthorized | a fault kind
    key: str  # "right" | "wrong" | "missing"
    at: float


@dataclass
class Booking:
    item_id: str
    shipment_id: str
    booking_id: str
    reference: str  # the CU reference: our RMA
    service: str
    pdf: bytes = field(repr=False)
    qr_code: str
    instruction: dict[str, Any] = field(repr=False)
    status: str = "CREATED"  # Track and Trace's item status


class FakePostNord:
    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        customer_number: str = DEFAULT_CUSTOMER,
        issuer_codes: Iterable[str] = codes.ISSUER_CODES,
        return_postal_code: str | None = None,
        today: date | None = None,
    ) -> None:
        """`return_postal_code`: the shop's return address, which every return must be consigned to; `today`:
        the day pickups are checked against (default: the real one)."""
        self.api_key = api_key
        self.customer_number = customer_number
        self.agreement = Agreement(customer_number, frozenset(issuer_codes), return_postal_code)
        self.today = today
        self.latency = 0.0  # seconds added to every answer (the benchmark sets 0.15)
        self.labels_in_booking = True  # False: bookings answer without labelPrintout (fetched by item id later)
        self.timeout_seconds = 10.0  # how long a "timeout" fault holds the answer back (stop() ends it early)
        self.calls: list[PostNordCall] = []
        self.rejected: list[str] = []
        self.bookings: dict[str, Booking] = {}  # by item id
        self._faults: deque[tuple[str, float | None, str | None]] = deque()
        self._serials = itertools.count(100_001)
        self._lock = threading.Lock()
        self._loopback = LoopbackServer(_Handler, self, "fake-postnord")

    # -- lifecycle

    def start(self, port: int = 0) -> FakePostNord:
        self._loopback.start(port)
        return self

    def stop(self) -> None:
        self._loopback.stop()

    def __enter__(self) -> FakePostNord:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._loopback.port}"

    # -- test controls

    def fail_next(
        self, kind: str, times: int = 1, *, retry_after: float | None = 0.0, path: str | None = None
    ) -> None:
        """The next `times` requests fail this way (FAULT_KINDS); with `path` (codes.RETURN_LABEL_PATH, …) only
        requests to that path meet these faults. `timeout` answers nothing until the client gives up;
        `book_then_timeout` books first (the label exists at PostNord) and then answers nothing."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.extend((kind, retry_after, path) for _ in range(times))

    def scan(self, item_id: str, status: str) -> None:
        """Track and Trace now says `status` (EN_ROUTE, DELIVERED, …) for the item."""
        if status not in codes.ITEM_STATUSES:
            raise ValueError(f"unknown item status {status!r}")
        with self._lock:
            self.bookings[item_id].status = status

    def booking_for(self, reference: str) -> Booking | None:
        with self._lock:
            return next((b for b in self.bookings.values() if b.reference == reference), None)

    def calls_to(self, path: str) -> list[PostNordCall]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    def assert_no_rejections(self) -> None:
        with self._lock:
            problems = list(self.rejected)
        assert not problems, "Fake PostNord rejected requests:\n" + "\n".join(problems)

    # -- serving

    def _answer(self, handler: _Handler, method: str) -> None:
        arrived = time.monotonic()
        split = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        given = query.pop("apikey", None)
        key = "missing" if given is None else "right" if given == self.api_key else "wrong"
        raw = handler.read_body()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        path = split.path
        with self._lock:
            fault = next((f for f in self._faults if f[2] in (None, path)), None)
            if fault is not None:
                self._faults.remove(fault)

        def record(status: int, outcome: str) -> None:
            call = PostNordCall(method, path, query, body, status, outcome, key, arrived)
            with self._lock:
                self.calls.append(call)

        if not self._pause(self.latency):
            return
        if key != "right":
            status, text = (401, "Authentication parameters missing") if key == "missing" else (
                403, "Authentication failed")  # fmt: skip
            record(status, "unauthorized")
            handler.send(status, {"message": text})
            return
        if fault is not None and fault[0] != "book_then_timeout":
            self._fault(handler, fault, record)
            return
        status, answer = self._route(method, path, query, body)
        if fault is not None:  # book_then_timeout: done, then no answer until the client gives up
            record(0, fault[0])
            self._pause(self.timeout_seconds)
            handler.close_connection = True
            return
        record(status, "ok" if status < 400 else "refused")
        handler.send(status, answer)

    def _fault(self, handler: _Handler, fault: tuple[str, float | None, str | None], record: Any) -> None:
        kind, retry_after, _path = fault
        if kind in ("timeout", "drop"):
            record(0, kind)
            if kind == "timeout":
                self._pause(self.timeout_seconds)
            handler.close_connection = True
            return
        record(int(kind[:3]), kind)
        match kind:
            case "401" | "403":
                handler.send(int(kind), {"message": "Authentication failed"})
            case "429":
                headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
                handler.send(429, {"message": "Rate limit exceeded"}, headers=headers)
            case "503":
                headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
                handler.send(503, {"message": "Service Unavailable"}, headers=headers)
            case "502_html":
                handler.send(502, BAD_GATEWAY_PAGE, content_type="text/html")
            case _:
                unexpected = {"faultCode": "API-000", "explanationText": "Unexpected error"}
                handler.send(500, _error("Internal Server Error", [unexpected]))

    def _pause(self, seconds: float) -> bool:
        """Wait unless the fake stops meanwhile; False when it did."""
        return seconds <= 0 or not self._loopback.stopping.wait(seconds)

    def _route(self, method: str, path: str, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        if method == "POST" and path in _LABEL_SERVICES:
            return self._book(path, query, body)
        if method == "POST" and path == codes.LABELS_BY_ID_PATH:
            return self._labels_by_id(body)
        if method == "GET" and path == codes.TRACKING_PATH:
            return self._track(query)
        if method == "GET" and (found := _BY_REFERENCE.fullmatch(path)):
            return self._by_reference(unquote(found[1]), unquote(found[2]))
        if method == "GET" and path == codes.SERVICE_POINTS_PATH:
            return self._service_points(query)
        return 404, {"message": "Not Found"}

    def _book(self, path: str, query: Mapping[str, str], body: Any) -> tuple[int, Any]:
        today = self.today or datetime.now(UTC).date()
        reading = read_instruction(body, services=_LABEL_SERVICES[path], agreement=self.agreement, today=today)
        if reading.problems:
            with self._lock:
                self.rejected.extend(f"{path}: {p}" for p in reading.problems)
            return 400, _error("Invalid indata object EdiInstruction",
                               [Fault("body", "", p).json() for p in reading.problems])  # fmt: skip
        if reading.faults:
            return 400, _error("Validation failed", [f.json() for f in reading.faults])
        shipment = body["shipment"][0]
        if body.get("testIndicator"):
            ok = {"status": "OK", "ids": [], "urls": []}
            return 201, {"bookingResponse": {"bookingId": "TEST", "idInformation": [ok]}}
        service = shipment["service"]["basicServiceCode"]
        reference = next((r["referenceNo"] for r in shipment.get("references") or [] if r["referenceType"] == "CU"), "")
        serial = next(self._serials)
        item_id = documents.sscc(serial)
        shop_country = str(shipment["parties"]["consignee"]["party"]["address"]["countryCode"])
        drop_off = path in (codes.RETURN_LABEL_PATH, codes.RETURN_EDI_PATH)
        qr_code = documents.qr_code_data(item_id) if drop_off and query.get("addQRCODE", "true") != "false" else ""
        booking = Booking(item_id=item_id, shipment_id=f"7{serial:010d}", booking_id=f"PNB{serial:012d}",
                          reference=reference, service=service, pdf=documents.label_pdf(item_id, service, shipment),
                          qr_code=qr_code, instruction=body)  # fmt: skip
        with self._lock:
            self.bookings[item_id] = booking
        info = {
            "status": "OK",
            "references": {"shipment": [{"referenceNo": reference, "referenceType": "CU"}]},
            "ids": [{"idType": "itemId", "value": item_id, "printId": f"p{serial}"},
                    {"idType": "shipmentId", "value": booking.shipment_id}],
            "urls": [{"type": "TRACKING", "url": codes.tracking_page(item_id, shop_country)}],
        }  # fmt: skip
        answer: dict[str, Any] = {"bookingResponse": {"bookingId": booking.booking_id, "idInformation": [info]}}
        if path in (codes.RETURN_LABEL_PATH, codes.EDI_LABEL_PATH) and self.labels_in_booking:
            answer["labelPrintout"] = _printouts(booking)
        return (200 if "labels" in path else 201), answer

    def _labels_by_id(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, list) or not all(isinstance(i, Mapping) and i.get("id") for i in body):
            with self._lock:
                self.rejected.append(f"{codes.LABELS_BY_ID_PATH}: the body must be a list of {{id}}")
            return 400, _error("Invalid indata", [{"explanationText": "ids is required"}])
        printouts: list[Any] = []
        for wanted in body:
            with self._lock:
                booking = self.bookings.get(str(wanted["id"]))
            if booking is None:
                printouts.append({"itemIds": [{"itemIds": wanted["id"], "status": "FAIL"}]})
            else:
                printouts.extend(p for p in _printouts(booking) if p["printout"]["type"] == "LABEL")
        return 200, printouts

    def _track(self, query: Mapping[str, str]) -> tuple[int, Any]:
        if not query.get("id"):
            missing = {"explanationText": "id is required", "paramValues": [{"param": "id", "value": ""}]}
            return 400, _error("Query parameter missing", [missing])
        with self._lock:
            booking = self.bookings.get(query["id"])
        return 200, {"TrackingInformationResponse": {"shipments": [_shipment(booking)] if booking else []}}

    def _by_reference(self, customer: str, reference: str) -> tuple[int, Any]:
        with self._lock:
            found = [b for b in self.bookings.values() if b.reference == reference]
        shown = [_shipment(b) for b in found] if customer == self.customer_number else []
        return 200, {"TrackingInformationResponse": {"shipments": shown}}

    def _service_points(self, query: Mapping[str, str]) -> tuple[int, Any]:
        country = query.get("countryCode", "")
        faults: list[dict[str, Any]] = []
        if query.get("returnType") not in ("json", "xml"):
            faults.append({"explanationText": "returnType is required", "paramValues": [{"param": "returnType"}]})
        if not country:
            faults.append({"explanationText": "countryCode is required", "paramValues": [{"param": "countryCode"}]})
        if not (query.get("postalCode") or query.get("city")):
            faults.append({"explanationText": "postalCode or city is required",
                           "paramValues": [{"param": "postalCode"}]})  # fmt: skip
        if faults:
            with self._lock:
                self.rejected.extend(f"{codes.SERVICE_POINTS_PATH}: {f['explanationText']}" for f in faults)
            return 400, _error("Query parameter missing", faults)
        if country not in SERVICE_COUNTRIES:
            return 200, {"servicePointInformationResponse": {"servicePoints": []}}
        try:
            count = max(1, min(50, int(query.get("numberOfServicePoints", "5"))))
        except ValueError:
            return 400, _error("Invalid parameter", [{"explanationText": "numberOfServicePoints is not a number"}])
        points = documents.service_points(country, query.get("postalCode", ""), query.get("city", ""),
                                          query.get("streetName", ""), count)  # fmt: skip
        return 200, {"servicePointInformationResponse": {"servicePoints": points}}


def _printouts(booking: Booking) -> list[dict[str, Any]]:
    label = {
        "itemIds": [{"itemIds": booking.item_id, "status": "OK", "basicServiceCode": booking.service}],
        "printout": {"type": "LABEL", "labelFormat": "PDF", "encoding": "base64",
                     "data": base64.b64encode(booking.pdf).decode()},
    }  # fmt: skip
    if not booking.qr_code:
        return [label]
    qr = {"printout": {"type": "QRCODE", "labelFormat": "PNG", "encoding": "base64", "dataValue": booking.qr_code,
                       "data": base64.b64encode(qr_png(booking.qr_code, scale=3)).decode()}}  # fmt: skip
    return [label, qr]


def _shipment(booking: Booking) -> dict[str, Any]:
    return {
        "shipmentId": booking.shipment_id,
        "service": {"code": booking.service, "name": codes.SERVICE_NAMES.get(booking.service, "")},
        "status": booking.status,
        "shipmentReferences": [{"type": "CU", "value": booking.reference}],
        "items": [{"itemId": booking.item_id, "status": booking.status, "events": []}],
    }


def _error(message: str, faults: list[dict[str, Any]]) -> dict[str, Any]:
    return {"message": message, "compositeFault": {"faults": faults}}


class _Handler(LoopbackHandler):
    server_version = "FakePostNord/1.0"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        try:
            self.server.fake._answer(self, method)  # type: ignore[attr-defined]
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up first

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, body: Any, *, headers: Mapping[str, str] | None = None,
             content_type: str = "application/json") -> None:  # fmt: skip
        payload = body.encode() if isinstance(body, str) else json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet (and the request line holds the key): tests read fake.calls
