"""Long-running shapes of the bot: HTTP mode and Socket Mode."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import partial
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from sqlalchemy import text

from bot.app import create_app, make_client
from bot.common.context import BotContext
from bot.common.worker import WorkerPool
from bot.main.config import Settings
from bot.main.http_server import SlackHTTPServer
from bot.main.services import StartupError, bot_context
from bot.refunds import flow as refund_flow
from commands.services import Services

log = logging.getLogger(__name__)


def tune_interpreter() -> None:
    """Hand the GIL over every 1 ms instead of 5: a request thread waiting to ack gets its turn sooner
    while worker threads are busy building cards (measured in bench/ack_latency.py)."""
    sys.setswitchinterval(0.001)


def build_app(settings: Settings, services: Services, worker: WorkerPool, *, http: bool) -> App:
    client = make_client(settings.SLACK_BOT_TOKEN, settings.slack_api_url)
    secret = settings.SLACK_SIGNING_SECRET if http else None
    try:
        ctx = bot_context(settings, services, worker)
        app = create_app(ctx, client, secret)
    except BoltError as exc:  # auth.test refused the token
        raise StartupError(f"SLACK_BOT_TOKEN: Slack refused the token ({exc})") from exc
    except (URLError, OSError) as exc:
        raise StartupError(f"SLACK_API_URL: cannot reach Slack at {settings.slack_api_url} ({exc})") from exc
    worker.submit(partial(_recover_refunds, ctx, client))
    return app


def _recover_refunds(ctx: BotContext, client: WebClient) -> None:
    try:
        refund_flow.recover_interrupted(ctx, client)
    except Exception:
        log.exception("could not look for interrupted refunds")


def health_check(services: Services) -> Callable[[], dict]:
    def check() -> dict:
        try:
            with services.db.engine.connect() as conn:
                conn.execute(text("select 1"))
            return {"ok": True, "database": "ok"}
        except Exception as exc:
            log.warning("health check: database unavailable: %s", exc)
            return {"ok": False, "database": "unavailable"}

    return check


def serve_http(settings: Settings, services: Services, *, host: str, port: int, on_ready: Callable[[str], None]) -> int:
    tune_interpreter()
    worker = WorkerPool()
    app = build_app(settings, services, worker, http=True)
    server = SlackHTTPServer((host, port), app, health_check(services))
    on_ready(f"returnbot listening on {server.url}/slack/events (health: /healthz)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        worker.shutdown()
    return 0


def serve_socket_mode(settings: Settings, services: Services, *, on_ready: Callable[[str], None]) -> int:
    tune_interpreter()
    worker = WorkerPool()
    app = build_app(settings, services, worker, http=False)
    handler = SocketModeHandler(app, settings.SLACK_APP_TOKEN)
    on_ready("returnbot connected to Slack in Socket Mode")
    try:
        handler.start()
    except KeyboardInterrupt:
        pass
    finally:
        worker.shutdown()
    return 0
