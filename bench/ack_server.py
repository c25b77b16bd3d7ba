"""Servers for the ack benchmark, each in its own process, as in production (Slack is elsewhere).

`python -m bench.ack_server slack` runs the fake Slack Web API and prints `READY <root url>`;
`python -m bench.ack_server SERVER MODE DB_PATH SECRET SLACK_ROOT` serves, through the bot's own WSGI app
(bot.main.http_server.SlackWSGIApp, Bolt's WSGI adapter inside), either the real bot (MODE `app`, posting
to that fake Slack, on the store in DB_PATH) or a bare Bolt app that only acks (MODE `bare`), on
SERVER `waitress` (what `returnbot run --http` uses) or `gunicorn` (gthread workers; `gunicorn2`: two
worker processes). It prints `READY <url>`; the load generator then waits for `GET /healthz`.

Both modes get the same interpreter settings (`tune_interpreter`, as `returnbot run` applies them); the bot
its worker pool as `returnbot run` makes it (BackgroundPool; RETURNBOT_BENCH_PLAIN_POOL=1: a plain WorkerPool,
to see what the lower priority of background work is worth).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.authorization import AuthorizeResult

from bot.app import create_app, make_client
from bot.common.context import BotContext
from bot.common.worker import WorkerPool
from bot.main.http_server import Limits, SlackHTTPServer, SlackWSGIApp
from bot.main.runtime import BackgroundPool, health_check, tune_interpreter
from bot.shell.standin import FakeSlack
from commands.services import Services
from integrations.local_store.store import LocalStore
from storage.db import Database, make_engine

SERVERS = ("waitress", "gunicorn", "gunicorn2")
THREADS = Limits().threads  # the same number of request threads on every server


def bare_app(secret: str) -> tuple[App, Callable[[], dict[str, Any]]]:
    def authorize(**_kwargs: object) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-bare", bot_id="B1", bot_user_id="U1")

    app = App(signing_secret=secret, authorize=authorize, process_before_response=True)

    @app.command("/order")
    def order(ack: Ack) -> None:
        ack()

    return app, lambda: {"ok": True}


def real_app(db_path: str, secret: str, slack_root: str) -> tuple[App, Callable[[], dict[str, Any]]]:
    db = Database(make_engine(f"sqlite:///{db_path}"))  # built and migrated by the load generator
    services = Services(db=db, store=LocalStore(db))
    pool: WorkerPool = BackgroundPool()  # as `returnbot run` makes it
    if os.environ.get("RETURNBOT_BENCH_PLAIN_POOL"):  # to compare: the pool at the request threads' priority
        pool = WorkerPool()
    app = create_app(BotContext(services, pool), make_client("xoxb-bench", f"{slack_root}api/"), secret)
    return app, health_check(services)


def wsgi_app(mode: str, db_path: str, secret: str, slack_root: str) -> SlackWSGIApp:
    tune_interpreter()  # for both modes: the comparison is of the apps, not of interpreter settings
    app, health = real_app(db_path, secret, slack_root) if mode == "app" else bare_app(secret)
    return SlackWSGIApp(app, health)


def serve_waitress(mode: str, db_path: str, secret: str, slack_root: str) -> None:
    tune_interpreter()
    app, health = real_app(db_path, secret, slack_root) if mode == "app" else bare_app(secret)
    server = SlackHTTPServer(("127.0.0.1", 0), app, health)
    print(f"READY {server.url}", flush=True)
    server.serve_forever()


def serve_gunicorn(workers: int, mode: str, db_path: str, secret: str, slack_root: str) -> None:
    from gunicorn.app.base import BaseApplication

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": [f"fd://{listener.fileno()}"], "workers": workers, "worker_class": "gthread",
                "threads": THREADS, "keepalive": 30, "timeout": 30, "loglevel": "warning", "accesslog": None,
            }  # fmt: skip
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> SlackWSGIApp:  # in each worker, after the fork: its own pool, engine and client
            return wsgi_app(mode, db_path, secret, slack_root)

    print(f"READY http://127.0.0.1:{port}", flush=True)
    Server().run()


def main() -> None:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" at every burst
    if sys.argv[1] == "slack":
        # Slack runs elsewhere in production: here its stand-in takes only the CPU the servers leave
        os.nice(19)
        fake = FakeSlack().start()
        print(f"READY {fake.root_url}", flush=True)
        threading.Event().wait()
    server, mode, db_path, secret, slack_root = sys.argv[1:6]
    if server == "waitress":
        serve_waitress(mode, db_path, secret, slack_root)
    else:
        serve_gunicorn(2 if server == "gunicorn2" else 1, mode, db_path, secret, slack_root)


if __name__ == "__main__":
    main()
