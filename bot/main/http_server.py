"""HTTP mode: `POST /slack/events` into the Bolt app through Bolt's WSGI adapter, `GET /healthz` for load
balancers, served by waitress.

Why waitress (bench/ack_latency.py, 20 requests in flight on 2 shared cores; figures in the README): the
bot's ack latency, and the bare Bolt app's, came out the same on waitress as on gunicorn's gthread worker
(one process or two) within the run-to-run noise, so the choice follows from what else each does. Waitress
- reads a whole request (headers and body) on its I/O thread before a worker thread sees it: a client
  that stalls mid-body holds a connection slot, never a thread, until `idle_timeout` closes it;
- answers 413 above the body cap and 400 to a malformed request line or Content-Length itself;
- runs in the bot's own process, so the worker pool, the Slack client and the tests' in-process server
  are the same objects (gunicorn forks workers from an arbiter that must own the main thread).
Several instances behind a load balancer work as one: everything that must happen once is guarded in
the database, never in a process.

What the server leaves to the app (SlackWSGIApp): strict UTF-8, well-formed Slack payloads (400), a
safety net that answers 500 without a traceback; the signature is checked by the Bolt app itself
(bot.app.SignedRequestsOnly, 401).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from waitress import wasyncore
from waitress.server import create_server
from waitress.trigger import trigger

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1_000_000  # Slack payloads are far smaller; anything larger is not from Slack
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Limits:
    """What one client can hold of the server."""

    threads: int = 8  # requests handled at once; acks take well under a millisecond of Bolt time
    connections: int = 200  # open client connections, idle keep-alive ones included; more wait in the backlog
    idle_timeout: float = 30  # seconds a connection may stay silent, mid-request or between requests
    max_body: int = MAX_BODY


class SlackWSGIApp:
    """The WSGI application: /healthz here, /slack/events through Bolt's adapter (SlackEvents)."""

    def __init__(self, app: App, health: Callable[[], dict[str, Any]], *, max_body: int = MAX_BODY) -> None:
        self.events = SlackEvents(app, max_body=max_body)
        self.health = health

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            if environ.get("PATH_INFO") == HEALTH_PATH:
                return self._health(environ, start_response)
            return self.events(environ, start_response)
        except Exception as exc:
            # the log gets the reason; the client a bare 500 (waitress would add its own page otherwise)
            log.error("HTTP request to %s failed: %s", environ.get("PATH_INFO"), type(exc).__name__, exc_info=exc)
            return _reply(start_response, 500, {"error": "internal error"}, exc_info=sys.exc_info())

    def _health(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _reply(start_response, 405, {"error": "method not allowed"}, [("Allow", "GET, HEAD")])
        report = self.health()
        return _reply(start_response, 200 if report.get("ok") else 503, report)


class SlackEvents(SlackRequestHandler):
    """Bolt's WSGI adapter (routing, the response), with the checks it leaves out: a body cap (413), strict
    UTF-8 and payloads Bolt can parse into an object (400), instead of an exception out of the server."""

    def __init__(self, app: App, *, max_body: int = MAX_BODY) -> None:
        super().__init__(app, path=EVENTS_PATH)
        self.max_body = max_body

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        body = _read_body(request.environ, self.max_body)
        if isinstance(body, BoltResponse):
            return body
        headers = request.get_headers()
        media_type = str(headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        if media_type not in (FORM, JSON, ""):
            return _refused(415, f"unsupported content type {media_type[:60]!r}")
        problem = payload_problem(body, media_type)
        if problem:
            return _refused(400, problem)
        try:
            bolt_request = BoltRequest(body=body, query=request.query_string, headers=headers)
        except Exception as exc:  # a JSON object Bolt still cannot read (`"enterprise": 5`, ...)
            return _refused(400, f"Bolt cannot read the payload ({type(exc).__name__})")
        return self.app.dispatch(bolt_request)


def _read_body(environ: WSGIEnvironment, max_body: int) -> str | BoltResponse:
    length = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not (length.isascii() and length.isdigit()):
        return _refused(400, "Content-Length is not a number")
    if int(length) > max_body:
        return _refused(413, f"body of {int(length):,} bytes, more than {max_body:,}")
    raw = environ["wsgi.input"].read(int(length)) if int(length) else b""
    if len(raw) != int(length):
        return _refused(400, "body shorter than its Content-Length")
    try:
        return str(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return _refused(400, "body is not UTF-8")


def payload_problem(body: str, media_type: str) -> str:
    """Why Bolt could not read `body` as a Slack payload ("" when it can): the Events API sends a JSON
    object, slash commands a form, interactivity a form whose `payload` is a JSON object."""
    if media_type == JSON:
        return "" if _json_object(body) else "JSON body that is not an object"
    if body.lstrip().startswith(("{", "[")):
        return "JSON sent as a form"
    if "payload" in body:  # what Bolt looks for before it reads the form's `payload`
        fields = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" in fields and not _json_object(fields["payload"]):
            return "form field `payload` is not a JSON object"
    return ""


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _refused(status: int, reason: str) -> BoltResponse:
    # one line, never the body: anyone can send anything here
    log.warning("refused a request to %s (HTTP %d): %s", EVENTS_PATH, status, reason)
    return BoltResponse(status=status, body={"error": reason})


def _reply(
    start_response: StartResponse,
    status: int,
    body: dict[str, Any],
    headers: list[tuple[str, str]] | None = None,
    exc_info: Any = None,
) -> list[bytes]:
    data = json.dumps(body).encode()
    phrase = {200: "OK", 405: "Method Not Allowed", 500: "Internal Server Error", 503: "Service Unavailable"}
    start_response(
        f"{status} {phrase.get(status, '')}".strip(),
        [("Content-Type", "application/json"), ("Content-Length", str(len(data))), *(headers or [])],
        exc_info,
    )
    return [data]


class SlackHTTPServer:
    """SlackWSGIApp on waitress: `serve_forever()` here, or `start_in_thread()`; `shutdown()` from anywhere."""

    def __init__(
        self, address: tuple[str, int], app: App, health: Callable[[], dict[str, Any]], *, limits: Limits | None = None
    ) -> None:
        limits = limits or Limits()
        self.wsgi = SlackWSGIApp(app, health, max_body=limits.max_body)
        self._map: dict[int, Any] = {}
        host, port = address
        self._server: Any = create_server(
            self.wsgi,
            map=self._map,
            host=host,
            port=port,
            threads=limits.threads,
            connection_limit=limits.connections,
            channel_timeout=limits.idle_timeout,
            cleanup_interval=max(1, min(30, int(limits.idle_timeout))),
            # waitress refuses bodies of max_request_body_size bytes or more; ours refuses more than max_body
            max_request_body_size=limits.max_body + 1,
            asyncore_use_poll=True,  # select() stops at file descriptor 1024
            ident="returnbot",
        )
        self._wake = trigger(self._map)  # runs the shutdown on the server's own loop thread
        # waitress counts its own sockets (listening, wake-up pipes) against the limit: count clients only
        self._server.adj.connection_limit = limits.connections + len(self._map)
        self._stopped = threading.Event()
        self._stopped.set()
        self._thread: threading.Thread | None = None

    @property
    def server_address(self) -> tuple[str, int]:
        listen = getattr(self._server, "effective_listen", None)
        host, port = listen[0] if listen else (self._server.effective_host, self._server.effective_port)
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def serve_forever(self) -> None:
        self._stopped.clear()
        try:
            self._server.run()  # until shutdown() closes every socket (or Ctrl-C)
        finally:
            self._server.task_dispatcher.shutdown()
            wasyncore.close_all(self._map)
            self._stopped.set()

    def start_in_thread(self) -> threading.Thread:
        self._stopped.clear()
        self._thread = threading.Thread(target=self.serve_forever, name="returnbot-http", daemon=True)
        self._thread.start()
        return self._thread

    def shutdown(self, timeout: float = 10) -> None:
        """Stop accepting, close every connection, end the worker threads; returns once stopped."""
        if self._map:
            with contextlib.suppress(OSError):  # already closed
                self._wake.pull_trigger(lambda: wasyncore.close_all(self._map))
        self._stopped.wait(timeout)

    def server_close(self) -> None:
        if not self._stopped.is_set():
            self.shutdown()
        wasyncore.close_all(self._map)
