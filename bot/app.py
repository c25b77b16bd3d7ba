"""The Bolt app, the same for Slack (HTTP or Socket Mode), the terminal client and the tests."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.common.context import BotContext
from bot.common.replies import FAILED
from bot.orders import handlers as orders
from bot.refunds import handlers as refunds
from bot.returns import handlers as returns

log = logging.getLogger(__name__)


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
        request_verification_enabled=signing_secret is not None,
    )
    for feature in (orders, returns, refunds):
        feature.register(app, ctx)

    @app.error
    def on_error(error: Exception, body: dict, respond) -> BoltResponse:
        log.error("listener failed: %s: %s", type(error).__name__, error, exc_info=error)
        if body.get("response_url") or body.get("response_urls"):
            try:
                respond(text=FAILED, response_type="ephemeral", replace_original=False)
            except Exception:
                log.exception("could not tell the agent about the failure")
        return BoltResponse(status=200, body="")

    return app
