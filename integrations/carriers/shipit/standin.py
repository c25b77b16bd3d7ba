"""A fake Shipit API on 127.0.0.1, for the tests, the benchmark and trying the bot in `returnbot shell`.

It checks requests as the API documents them (standin_api.py) and answers as Shipit does, and fails on demand:
`fail_next(kind)` with kind "401", "429", "500", "503", "timeout" (no answer until the client gives up),
"book_then_timeout" / "book_then_drop" (the shipment is booked, then no answer / the connection drops),
optionally aimed at one path ("/customer-return"). `latency` adds seconds to every answer (the benchmark's
150 ms). The labels it serves are real PDFs, fixed per shipment, so a test can compare them byte for byte.

    with FakeShipit() as shipit:
        ShipitCarrier(api_key=shipit.api_key, api_url=shipit.url, service_id=shipit.service_id)

Run it alone with `python -m integrations.carriers.shipit.standin [--port N]`: it prints the settings to use.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from integrations.carriers.shipit.standin_api import Refusal, ShipitData

FAULT_KINDS = ("401", "429", "500", "503", "timeout", "book_then_timeout", "book_then_drop")
API_KEY = "fake-shipit-key"
RETURN_SERVICE, PICKUP_SERVICE = "posti.2108", "posti.2104"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: Any
    headers: dict[str, str]
    status: int  # what was answered (0: nothing)


@dataclass(frozen=True)
class _Fault:
    kind: str
    path: str | None


def render_label(number: str) -> bytes:
    """A small real PDF with the tracking number on it, as a carrier's label would have."""
    from reportlab.lib.pagesizes import A6
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A6, invariant=True)  # invariant: the same bytes for the same number
    page.setFont("Helvetica-Bold", 14)
    page.drawString(20, 360, "SHIPIT RETURN (test)")
    page.setFont("Helvetica", 11)
    page.drawString(20, 330, number)
    page.showPage()
    page.save()
    return out.getvalue()


class FakeShipit:
    def __init__(self, *, port: int = 0, api_key: str = API_KEY, api_secret: str = "", shop_zip: str = "",
                 today: Callable[[], date] | None = None) -> None:  # fmt: skip
        self.api_key, self.api_secret = api_key, api_secret
        self.service_id, self.pickup_service_id = RETURN_SERVICE, PICKUP_SERVICE
        self.latency = 0.0
        self.calls: list[Call] = []
        self.rejections: list[str] = []
        self._today = today or (lambda: datetime.now(UTC).date())
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._release = threading.Event()  # ends every held ("timeout") answer when the fake stops
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self.data = ShipitData(self.url, shop_zip=shop_zip, render=render_label)
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> FakeShipit:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-shipit", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeShipit:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls -------------------------------------------------------------------------------

    def fail_next(self, kind: str, *, path: str | None = None, times: int = 1) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}: one of {FAULT_KINDS}")
        with self._lock:
            self._faults += [_Fault(kind, path)] * times

    def scan(self, tracking_number: str, status: str) -> None:
        """A tracking event for the parcel ("in_transit", "delivered", …), as its carrier would report it."""
        shipment = self.data.find(tracking_number)
        if shipment is None:
            raise KeyError(tracking_number)
        with self._lock:
            shipment.events.append({"status": status, "timestamp": datetime.now(UTC).isoformat()})

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    def assert_no_rejections(self) -> None:
        assert not self.rejections, f"the fake Shipit refused: {self.rejections}"

    # -- serving -------------------------------------------------------------------------------------

    def _fault_for(self, path: str) -> _Fault | None:
        with self._lock:
            for n, fault in enumerate(self._faults):
                if fault.path is None or fault.path == path:
                    return self._faults.pop(n)
        return None

    def answer(self, handler: _Handler, method: str) -> None:
        parts = urlsplit(handler.path)
        path = parts.path.removeprefix("/v1")
        raw = handler.read_body()
        headers = {k.lower(): v for k, v in handler.headers.items()}
        if self.latency:
            time.sleep(self.latency)  # the benchmark's carrier round trip, not a test's wait
        body: Any = None
        with contextlib.suppress(ValueError):
            body = json.loads(raw) if raw else None
        with self._lock:  # recorded before it is served: a held answer ("timeout") is a call all the same
            index = len(self.calls)
            self.calls.append(Call(method, path, body, headers, 0))
        status, payload, content_type = self._serve(method, path, parts.query, raw, headers, handler)
        with self._lock:
            self.calls[index] = Call(method, path, body, headers, status)
        if status:
            handler.send(status, payload, content_type)

    def _serve(self, method: str, path: str, query: str, raw: bytes, headers: dict[str, str],
               handler: _Handler) -> tuple[int, bytes, str]:  # fmt: skip
        if method == "GET" and path.startswith("/labels/"):  # freightDoc links work without the key, as signed URLs
            found = self.data.label(int(path.removeprefix("/labels/").removesuffix(".pdf") or 0))
            return (200, found, "application/pdf") if found else (404, b"Not found", "text/plain")
        fault = self._fault_for(path)
        if headers.get("x-shipit-key") != self.api_key or (fault and fault.kind == "401"):
            return _json(401, {"status": 0, "error": {"code": 401, "message": "Unauthorized"}})
        if self.api_secret and raw:
            expected = hashlib.sha512(raw + self.api_secret.encode()).hexdigest()
            if headers.get("x-shipit-checksum") != expected:
                return _json(401, {"status": 0, "error": {"code": 401, "message": "Invalid checksum"}})
        if fault and fault.kind in ("429", "500", "503"):
            extra = {"Retry-After": "1"} if fault.kind == "429" else {}
            handler.extra_headers = extra
            return _json(int(fault.kind), {"status": 0, "error": {"code": int(fault.kind), "message": "Error"}})
        if fault and fault.kind == "timeout":
            self._release.wait(60)
            return 0, b"", ""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return _json(400, {"status": 0, "error": {"code": "BAD_REQUEST", "message": "Malformed JSON"}})
        try:
            result = self._route(method, path, query, body, headers)
        except Refusal as refusal:
            self.rejections.append(f"{method} {path}: {refusal}")
            return _json(refusal.status, refusal.body())
        if fault and fault.kind == "book_then_timeout":
            self._release.wait(60)
            return 0, b"", ""
        if fault and fault.kind == "book_then_drop":
            return 0, b"", ""
        return _json(200, result)

    def _route(self, method: str, path: str, query: str, body: Any, headers: dict[str, str]) -> dict[str, Any]:
        now = datetime.now(UTC)
        content = headers.get("content-type", "")
        if body is not None and not content.startswith("application/json"):
            raise Refusal(["Content-Type: application/json required"], status=400, code="BAD_REQUEST")
        match method, path:
            case "PUT", "/customer-return":
                return self.data.customer_return(body, self._today(), now)
            case "POST", "/pick-ups":
                return self.data.pick_up(body, self._today())
            case "POST", "/agents":
                return self.data.agents(body)
            case "POST", "/query-tracking-events":
                return self.data.tracking_events(body)
            case "GET", "/list-methods":
                return {"status": 1, "methods": self.data.methods}
            case "GET", "/shipments":
                params = parse_qs(query)
                per_page = int((params.get("perPage") or ["20"])[0])
                return self.data.list_shipments(per_page, (params.get("cursor") or [""])[0])
            case "GET", _ if path.startswith("/tracking-link/"):
                return self.data.tracking_link(path.removeprefix("/tracking-link/"))
        raise Refusal([f"{method} {path}: no such endpoint"], status=404, code="NOT_FOUND")


def _json(status: int, body: dict[str, Any]) -> tuple[int, bytes, str]:
    return status, json.dumps(body, separators=(",", ":")).encode(), "application/json"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx clients expect
    disable_nagle_algorithm = True
    server_version = "FakeShipit/1.0"
    extra_headers: dict[str, str] = {}  # noqa: RUF012 - set per request by the fake

    def do_GET(self) -> None:
        self._run("GET")

    def do_POST(self) -> None:
        self._run("POST")

    def do_PUT(self) -> None:
        self._run("PUT")

    def _run(self, method: str) -> None:
        self.extra_headers = {}
        self._answered = False
        try:
            self.server.fake.answer(self, method)  # type: ignore[attr-defined]
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: nobody to answer
        finally:
            if not self._answered:
                self.close_connection = True  # a dropped connection: close without a word

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        self._answered = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Shipit API on 127.0.0.1 (for trying the bot).")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with FakeShipit(port=args.port) as fake:
        print("Fake Shipit is listening. Start the bot with:")
        print(f"  CARRIER=shipit SHIPIT_API_URL={fake.url} SHIPIT_API_KEY={fake.api_key} "
              f"SHIPIT_SERVICE_ID={fake.service_id} SHIPIT_PICKUP_SERVICE_ID={fake.pickup_service_id}")  # fmt: skip
        print("Ctrl-C stops it.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
