"""HTTP mode: `POST /slack/events` into the Bolt app, `GET /healthz` for load balancers.

A threading stdlib server: each request gets its own thread, and listeners only ack and queue work,
so a request is answered in well under a millisecond of Bolt time. Bolt's own `app.start()` is
single-threaded and documented as not for production.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1_000_000  # Slack payloads are far smaller; anything larger is not from Slack


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, health: Callable[[], dict]) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.health = health

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="returnbot-http", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: with Nagle on, the body waits for the client's delayed
    # ACK (about 40 ms on Linux) on every keep-alive request
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        if urlsplit(self.path).path != "/healthz":
            self._send(404, b'{"error":"not found"}')
            return
        report = self.server.health()
        self._send(200 if report.get("ok") else 503, json.dumps(report).encode())

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != EVENTS_PATH:
            self._send(404, b'{"error":"not found"}')
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, b'{"error":"payload too large"}')
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        headers: dict[str, list[str]] = {}
        for key, value in self.headers.items():
            headers.setdefault(key.lower(), []).append(value)
        response = self.server.app.dispatch(BoltRequest(body=body, query=parts.query, headers=headers))
        self._send(response.status, response.body.encode(), response.headers)

    def _send(self, status: int, body: bytes, headers: dict[str, list[str]] | None = None) -> None:
        self.send_response(status)
        sent_type = False
        for key, values in (headers or {}).items():
            if key.lower() in ("content-length", "connection"):
                continue
            sent_type |= key.lower() == "content-type"
            for value in values:
                self.send_header(key, value)
        if not sent_type:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)
