"""Long-running shapes of the bot: HTTP mode and Socket Mode."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from sqlalchemy import text

from bot.app import create_app, make_client
from bot.common.worker import WorkerPool
from bot.main.config import Settings
from bot.main.http_server import Limits, SlackHTTPServer
from bot.main.scheduler import start_ticking
from bot.main.services import StartupError, bot_context
from commands.services import Services

log = logging.getLogger(__name__)


def tune_interpreter() -> None:
    """Hand the GIL over every 1 ms instead of 5: a request thread waiting to ack gets its turn sooner
    while worker threads are busy building cards (measured in bench/ack_latency.py)."""
    sys.setswitchinterval(0.001)


BACKGROUND_NICE = 10  # how much lower than the request threads the background work runs (Unix nice)


class BackgroundPool(WorkerPool):
    """The worker pool whose threads run at a lower OS priority than the request threads.

    Background work (lookups, cards, labels) is CPU-heavy Python; when it and a request both want a core,
    the ack should win: Slack waits for it, nobody waits a few milliseconds more for a card. Measured with
    bench/ack_latency.py (20 in flight, a 20,000-order store, 2 shared cores, 1,200 requests each): the
    bot's ack p99 was 233 ms with a plain pool and 151 ms with this one, the bare Bolt app's 126 ms. Where
    threads have no priority of their own (not Linux), this is the plain pool."""

    def submit(self, job: Callable[[], None]) -> bool:
        return super().submit(partial(_at_background_priority, job))


_thread_state = threading.local()


def _at_background_priority(job: Callable[[], None]) -> None:
    if not getattr(_thread_state, "lowered", False):
        _thread_state.lowered = True  # once per pool thread: a nice value can only go up without privileges
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
    job()


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
    return app


def health_check(services: Services) -> Callable[[], dict[str, Any]]:
    def check() -> dict[str, Any]:
        try:
            with services.db.engine.connect() as conn:
                conn.execute(text("select 1"))
            return {"ok": True, "database": "ok"}
        except Exception as exc:
            log.warning("health check: database unavailable: %s", exc)
            return {"ok": False, "database": "unavailable"}

    return check


def serve_http(
    settings: Settings,
    services: Services,
    *,
    host: str,
    port: int,
    on_ready: Callable[[str], None],
    limits: Limits | None = None,
) -> int:
    tune_interpreter()
    worker = BackgroundPool()
    app = build_app(settings, services, worker, http=True)
    server = SlackHTTPServer((host, port), app, health_check(services), limits=limits)
    ticker = start_ticking(settings, services, app.client, worker)  # reminders, digest, recovery: every instance
    # a stop from the process manager (SIGTERM) ends like Ctrl-C: sockets closed, the pool drained
    previous = signal.signal(signal.SIGTERM, _interrupt)
    on_ready(f"returnbot listening on {server.url}/slack/events (health: /healthz)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        ticker.stop()
        server.server_close()
        worker.shutdown()
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def serve_socket_mode(settings: Settings, services: Services, *, on_ready: Callable[[str], None]) -> int:
    tune_interpreter()
    worker = BackgroundPool()
    app = build_app(settings, services, worker, http=False)
    ticker = start_ticking(settings, services, app.client, worker)
    handler = SocketModeHandler(app, settings.SLACK_APP_TOKEN)
    on_ready("returnbot connected to Slack in Socket Mode")
    try:
        handler.start()  # type: ignore[no-untyped-call]
    except KeyboardInterrupt:
        pass
    finally:
        ticker.stop()
        worker.shutdown()
    return 0
