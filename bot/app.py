"""The Bolt app, the same for Slack (HTTP or Socket Mode), the terminal client and the tests."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.context.respond import Respond
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.cancellations import handlers as cancellations
from bot.common.context import BotContext
from bot.common.replies import FAILED
from bot.exchanges import handlers as exchanges
from bot.lifecycle import handlers as lifecycle
from bot.orders import handlers as orders
from bot.refunds import handlers as refunds
from bot.replacements import handlers as replacements
from bot.reports import handlers as reports
from bot.returns import handlers as returns

log = logging.getLogger(__name__)

VERIFIED = "returnbot_verified"  # context key: set only on requests that proved they come from Slack
MAX_SKEW_SECONDS = 300  # Slack's own rule: older (or newer) requests may be replays
_MAX_TIMESTAMP_DIGITS = 12


def make_client(token: str, base_url: str) -> WebClient:
    client = WebClient(token=token, base_url=base_url, timeout=15)
    # background work may wait out Slack's Retry-After; acks never call Slack, so they are not delayed
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def create_app(ctx: BotContext, client: WebClient, signing_secret: str | None, *, verify_token: bool = True) -> App:
    app = App(
        client=client,
        signing_secret=signing_secret,
        # listeners only ack and queue work on our own pool, so running them on the request thread is
        # fast and answers Slack without Bolt's 10 ms ack polling
        process_before_response=True,
        token_verification_enabled=verify_token,
        # replaced by SignedRequestsOnly below: Bolt's check raises on a non-numeric timestamp (and the
        # error handler then answered the unverified body) and logs every refused body at INFO
        request_verification_enabled=False,
        logger=_bolt_logger(),
    )
    # first of all middleware: nothing (not even authorization) looks at a request before it is verified
    app._middleware_list.insert(0, SignedRequestsOnly(signing_secret))
    # lifecycle first: its Home-tab listeners for refund decisions must match before bot.refunds' own
    for feature in (lifecycle, orders, returns, refunds, cancellations, replacements, reports, exchanges):
        feature.register(app, ctx)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], context: BoltContext, respond: Respond) -> BoltResponse:
        log.error("listener failed: %s: %s", type(error).__name__, error, exc_info=error)
        # only a request that proved it comes from Slack may make the bot POST to the URL it names
        if context.get(VERIFIED) and (body.get("response_url") or body.get("response_urls")):
            try:
                respond(text=FAILED, response_type="ephemeral", replace_original=False)
            except Exception:
                log.exception("could not tell the agent about the failure")
        return BoltResponse(status=200, body="")

    return app


def _bolt_logger() -> logging.Logger:
    """Bolt copies its base logger's level into every logger it makes, and without one the root's: a level
    set on `slack_bolt` (the CLI keeps it at WARNING) would never apply. A base logger at NOTSET lets it."""
    logger = logging.getLogger("slack_bolt.App")
    logger.setLevel(logging.NOTSET)
    return logger


class SignedRequestsOnly(Middleware):
    """Slack's request signature, checked so that it fails closed: any doubt (a header missing, a timestamp
    that is not a number or too old, a signature that does not match) is a 401 and a one-line reason in the
    log, never an exception and never the body. Requests let through are marked VERIFIED.

    Socket Mode requests carry no signature (the connection is authenticated); without a signing secret the
    app is only fed in process (Socket Mode, the terminal client), so those are trusted as they come."""

    def __init__(self, signing_secret: str | None, clock: Callable[[], float] = time.time) -> None:
        self.secret = signing_secret
        self.clock = clock

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        if req.mode == "socket_mode" or self.secret is None:
            req.context[VERIFIED] = True
            return next()
        problem = signature_problem(
            self.secret,
            req.raw_body.encode("utf-8", "surrogateescape"),
            _header(req, "x-slack-request-timestamp"),
            _header(req, "x-slack-signature"),
            now=self.clock(),
        )
        if problem:
            log.warning("refused a request to /slack/events: %s", problem)
            return BoltResponse(status=401, body={"error": "invalid request"})
        req.context[VERIFIED] = True
        return next()


def _header(req: BoltRequest, name: str) -> str | None:
    values = req.headers.get(name) or []
    return values[0] if values else None


def signature_problem(secret: str, body: bytes, timestamp: str | None, signature: str | None, *, now: float) -> str:
    """Why a request is not signed by Slack with `secret`, in words ("" when it is). Never raises."""
    if not secret:  # anyone can sign with an empty key
        return "the app has no signing secret to check signatures with"
    if not timestamp:
        return "no X-Slack-Request-Timestamp header"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _MAX_TIMESTAMP_DIGITS):
        return "X-Slack-Request-Timestamp is not a number of seconds"
    skew = abs(now - int(timestamp))
    if skew > MAX_SKEW_SECONDS:
        return f"X-Slack-Request-Timestamp is {skew:.0f} s from now (a replay, or the clock is off)"
    if not signature:
        return "no X-Slack-Signature header"
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "surrogateescape")):
        return "X-Slack-Signature does not match the body"
    return ""
