"""The fake Shopify's HTTP side: one handler per connection (keep-alive, as httpx clients and benchmarks expect),
and the Answer it sends back. What to answer is FakeShopify's to decide (server.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from integrations.loopback import LoopbackHandler

if TYPE_CHECKING:
    pass


@dataclass
class Answer:
    status: int
    body: Any  # JSON-able, or str for HTML
    outcome: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    directives: dict[str, dict[str, Any]] = field(default_factory=dict)
    requested: int | None = None
    actual: int | None = None
    content_type: str = "application/json"


class Handler(LoopbackHandler):
    server_version = "FakeShopify/1.0"

    def do_POST(self) -> None:
        self._answered = False
        try:
            self.server.fake._answer(self)  # type: ignore[attr-defined]
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout fault): nobody to answer
        finally:
            if not getattr(self, "_answered", False):
                self.close_connection = True  # a dropped connection: close without a word

    def do_GET(self) -> None:
        self.read_body()
        self.send(Answer(405, {"errors": "Method Not Allowed"}))

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, answer: Answer) -> None:
        if isinstance(answer.body, str):
            payload = answer.body.encode()
        else:
            payload = json.dumps(answer.body, separators=(",", ":")).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        self._answered = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read fake.calls instead
