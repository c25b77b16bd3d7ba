"""HTTP mode as an attacker sees it: the real server on 127.0.0.1, requests over a real socket.

Nothing unsigned is dispatched or answered anywhere else, malformed requests get 4xx and leave the
server (and the connection, where HTTP allows) usable, and no traceback reaches a client.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from slack_bolt import Ack, App, BoltRequest

from bot.app import create_app, make_client
from bot.common.context import BotContext
from bot.common.replies import FAILED
from bot.common.worker import WorkerPool
from bot.main.http_server import Limits, SlackHTTPServer
from bot.main.runtime import health_check
from bot.shell.standin import FakeSlack, interactive_form, signed_headers, slash_command_form
from commands.services import Services
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from storage.db import Database, make_engine
from storage.migrate import upgrade

SECRET = "http-test-secret"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Served:
    url: str
    app: App
    fake: FakeSlack
    worker: WorkerPool
    server: SlackHTTPServer

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=20)

    def settle(self) -> None:
        assert self.worker.wait_idle(timeout=30), "background work did not finish"

    def slack_calls(self) -> list[str]:
        """What the bot sent to Slack (the Web API and response_urls), its start-up auth.test aside."""
        return [c.method for c in self.fake.calls if c.method != "auth.test"]


def wait_until_healthy(url: str, timeout: float = 30) -> None:
    """Readiness: /healthz answers 200 (the server thread may still be starting)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=5) as client:
        while time.monotonic() < deadline:
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
    raise AssertionError(f"{url}/healthz did not answer 200 within {timeout} s")


@contextmanager
def serving(
    tmp_path: Path,
    *,
    limits: Limits | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
    extra: Callable[[App], None] | None = None,
) -> Iterator[Served]:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'http.db'}"))
    upgrade(db.engine)
    seed_demo_orders(db)
    services = Services(db, LocalStore(db))
    fake = FakeSlack(users={"U0AGENT01": {"name": "agent"}}).start()
    worker = WorkerPool(workers=2)
    app = create_app(BotContext(services, worker), make_client("xoxb-test", fake.url), SECRET)
    if extra:
        extra(app)
    server = SlackHTTPServer(("127.0.0.1", 0), app, health or health_check(services), limits=limits)
    server.start_in_thread()
    try:
        if health is None:
            wait_until_healthy(server.url)
        yield Served(server.url, app, fake, worker, server)
    finally:
        server.shutdown()
        server.server_close()
        worker.shutdown()
        fake.stop()
        db.dispose()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serving(tmp_path) as s:
        yield s


def sign(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's signature over raw bytes (the stand-in's signed_headers takes text)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def raw_exchange(url: str, data: bytes) -> bytes:
    """Send raw bytes on one connection and read until the server closes it."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def post(http: httpx.Client, body: str | bytes, content_type: str = FORM) -> httpx.Response:
    """POST `body` to /slack/events, signed as Slack would."""
    data = body.encode() if isinstance(body, str) else body
    return http.post("/slack/events", content=data, headers={"Content-Type": content_type, **sign(data)})


def statuses(raw: bytes) -> list[int]:
    """The status of each response in `raw`, read one after the other by their Content-Length."""
    found = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status = re.match(rb"HTTP/1\.[01] (\d{3}) ", head)
        length = re.search(rb"^content-length: *(\d+)", head, re.IGNORECASE | re.MULTILINE)
        assert status and length, f"not an HTTP response: {raw[:200]!r}"
        found.append(int(status.group(1)))
        raw = rest[int(length.group(1)) :]
    return found


def order_form(served: Served, text: str = "#1001") -> str:
    return slash_command_form("/order", text, "U0AGENT01", "C0SUPPORT1", served.fake.response_url())


# --- signatures fail closed -----------------------------------------------------------------------------------


def _bad_signatures(body: str) -> dict[str, dict[str, Any]]:
    good = signed_headers(SECRET, body)
    now = int(time.time())
    return {
        "timestamp abc": {**good, "X-Slack-Request-Timestamp": "abc"},
        "timestamp 1e9": {**good, "X-Slack-Request-Timestamp": "1e9"},
        "timestamp empty": {**good, "X-Slack-Request-Timestamp": ""},
        "timestamp in Arabic-Indic digits": {**good, "X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠".encode()},
        "no timestamp": {k: v for k, v in good.items() if k != "X-Slack-Request-Timestamp"},
        "no signature": {k: v for k, v in good.items() if k != "X-Slack-Signature"},
        "no headers": {"Content-Type": FORM},
        "another secret": signed_headers("not-the-secret", body),
        "stale": signed_headers(SECRET, body, timestamp=now - 400),
        "from the future": signed_headers(SECRET, body, timestamp=now + 400),
        "signature of another body": {**good, "X-Slack-Signature": sign(body.encode() + b"x")["X-Slack-Signature"]},
    }  # fmt: skip


def test_unsigned_requests_are_refused_and_nothing_is_sent_anywhere(served: Served) -> None:
    command = order_form(served)
    # an interaction naming a response_url, for a button that does not exist: the error path
    click = interactive_form({
        "type": "block_actions", "user": {"id": "U0AGENT01"}, "team": {"id": "T0TEAM"},
        "channel": {"id": "C0SUPPORT1"}, "response_url": served.fake.response_url(), "trigger_id": "1.2.3",
        "actions": [{"action_id": "no_such_button", "block_id": "b", "type": "button", "value": "x"}],
    })  # fmt: skip
    with served.http() as http:
        for body in (command, click):
            for case, headers in _bad_signatures(body).items():
                response = http.post("/slack/events", content=body.encode(), headers=headers)
                assert response.status_code == 401, case
                assert response.json() == {"error": "invalid request"}, case
        assert http.get("/healthz").status_code == 200  # the server took no harm
    served.settle()
    assert served.slack_calls() == []  # no response_url POST, no Web API call


def test_the_error_handler_answers_only_verified_requests(tmp_path: Path) -> None:
    def failing_command(app: App) -> None:
        @app.command("/fail")
        def fail(ack: Ack) -> None:
            raise RuntimeError("a listener that breaks")

    with serving(tmp_path, extra=failing_command) as served:
        body = slash_command_form("/fail", "", "U0AGENT01", "C0SUPPORT1", served.fake.response_url())
        # straight into Bolt, past the HTTP server: the app itself fails closed
        unverified = BoltRequest(body=body, headers={"x-slack-request-timestamp": "abc", "x-slack-signature": "v0=1"})
        assert served.app.dispatch(unverified).status == 401
        assert served.slack_calls() == []

        with served.http() as http:
            assert post(http, body).status_code == 200
        [reply] = served.fake.wait_for("response_url")
        assert reply.args["text"] == FAILED  # a verified request still hears that something went wrong


# --- malformed requests -------------------------------------------------------------------------------------


MALFORMED: dict[str, tuple[bytes, str]] = {
    "payload=notjson": (b"payload=notjson", FORM),
    "payload=[]": (b"payload=%5B%5D", FORM),
    "payload is a JSON string": (b'payload=%22text%22', FORM),
    "JSON sent as a form": (json.dumps({"type": "block_actions", "response_url": "http://127.0.0.1:9/"}).encode(),
                            FORM),
    "JSON array sent as a form": (b'[{"type": "block_actions"}]', FORM),
    "a form sent as JSON": (b"command=%2Forder&text=%231001", "application/json"),
    "a JSON array": (b"[1, 2]", "application/json"),
    "broken JSON": (b'{"type": "event_callback"', "application/json"),
    "invalid UTF-8": (b"command=%2Forder&text=\xff\xfe\xfa", FORM),
    "a JSON object Bolt cannot read": (json.dumps({"type": "event_callback", "enterprise": 5}).encode(),
                                       "application/json"),
}  # fmt: skip


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_bodies_are_400_and_the_connection_stays_usable(served: Served, case: str) -> None:
    body, content_type = MALFORMED[case]
    with served.http() as http:
        # signed, so that only the body is wrong: the server must say so, not drop the connection
        response = post(http, body, content_type)
        assert response.status_code == 400, response.text
        assert set(response.json()) == {"error"} and "Traceback" not in response.text
        # the same keep-alive connection answers the next request
        assert post(http, body, content_type).status_code == 400
    served.settle()
    assert served.slack_calls() == []


def test_an_unsupported_content_type_is_415(served: Served) -> None:
    with served.http() as http:
        assert post(http, "command=/order&text=1001", "text/plain").status_code == 415


@pytest.mark.parametrize("length", ["-1", "abc", "+5", "1e3"])
def test_a_bad_content_length_is_400(served: Served, length: str) -> None:
    raw = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nContent-Length: {length}\r\n\r\n"
    answer = raw_exchange(served.url, raw.encode())
    assert statuses(answer) == [400], answer[:200]
    assert b"Traceback" not in answer
    assert httpx.get(f"{served.url}/healthz").status_code == 200


def test_a_body_over_the_cap_is_413_before_it_is_sent(served: Served) -> None:
    head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nContent-Length: 5000000\r\n\r\n"
    answer = raw_exchange(served.url, head.encode())  # the body never comes: the server must not wait for it
    assert statuses(answer) == [413]
    served.settle()
    assert served.slack_calls() == []


def test_a_body_just_under_the_cap_is_read(tmp_path: Path) -> None:
    with serving(tmp_path, limits=Limits(max_body=2000)) as served:
        body = order_form(served).encode()
        padded = body + b"&pad=" + b"x" * (2000 - len(body) - 5)
        with served.http() as http:
            assert post(http, padded).status_code == 200
            assert post(http, padded + b"x").status_code == 413


def test_a_404_reads_its_body_so_it_cannot_smuggle_a_request(served: Served) -> None:
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = (
        b"POST /not-slack HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(smuggled), smuggled)
        + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert statuses(raw_exchange(served.url, raw)) == [404, 200]  # not [404, 200, 200]


def test_other_paths_and_methods(served: Served) -> None:
    with served.http() as http:
        assert http.get("/slack/events").status_code == 404
        assert http.post("/", content=b"x").status_code == 404
        assert http.post("/healthz", content=b"x").status_code == 405


# --- health and the safety net ------------------------------------------------------------------------------


def test_healthz_reports_the_database(served: Served, tmp_path: Path) -> None:
    response = httpx.get(f"{served.url}/healthz")
    assert (response.status_code, response.json()) == (200, {"ok": True, "database": "ok"})

    (tmp_path / "down").mkdir()
    gone = Database(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with serving(tmp_path / "down", health=health_check(Services(gone, LocalStore(gone)))) as down:
        response = httpx.get(f"{down.url}/healthz", timeout=20)
    assert (response.status_code, response.json()) == (503, {"ok": False, "database": "unavailable"})


def test_a_failure_inside_the_server_is_a_bare_500(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def broken_health() -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("secret detail of the failure")
        return {"ok": True}

    (tmp_path / "x").mkdir()
    with serving(tmp_path / "x", health=broken_health) as served, served.http() as http:
        first = http.get("/healthz")
        assert first.status_code == 500
        assert first.json() == {"error": "internal error"}
        assert "secret detail" not in first.text and "Traceback" not in first.text
        assert http.get("/healthz").status_code == 200  # the same server, the same connection
    assert any("HTTP request to /healthz failed" in r.getMessage() for r in caplog.records)


def test_signed_requests_still_work_end_to_end(served: Served) -> None:
    body = order_form(served)
    with served.http() as http:
        assert post(http, body).status_code == 200
    [card] = served.fake.wait_for("chat.postMessage")
    assert "#1001" in json.dumps(card.args)


def test_an_empty_signing_secret_lets_nothing_in(tmp_path: Path) -> None:
    db = Database(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    upgrade(db.engine)
    worker = WorkerPool(workers=1)
    with FakeSlack() as fake:
        app = create_app(BotContext(Services(db, LocalStore(db)), worker), make_client("xoxb-t", fake.url), "")
        body = slash_command_form("/order", "#1001", "U0AGENT01", "C0SUPPORT1", fake.response_url())
        signed_with_nothing = {k.lower(): [v] for k, v in sign(body.encode(), secret="").items()}
        assert app.dispatch(BoltRequest(body=body, headers=signed_with_nothing)).status == 401
        assert [c.method for c in fake.calls if c.method != "auth.test"] == []
    worker.shutdown()
    db.dispose()
