"""Servers for the ack benchmark, each in its own process, as in production (Slack is elsewhere).

`python -m bench.ack_server slack` runs the fake Slack Web API;
`python -m bench.ack_server app|bare|bare-default DB_PATH SECRET [SLACK_URL]` the real bot (posting to
that fake Slack) or a bare Bolt app that only acks. Each prints `READY <url>` when listening.
"""

from __future__ import annotations

import sys
import threading

from slack_bolt import Ack, App
from slack_bolt.authorization import AuthorizeResult

from bot.app import create_app, make_client
from bot.common.context import BotContext
from bot.common.worker import WorkerPool
from bot.main.http_server import SlackHTTPServer
from bot.main.runtime import tune_interpreter
from bot.shell.standin import FakeSlack
from commands.services import Services
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from storage.db import Database, make_engine
from storage.migrate import upgrade


def bare_app(secret: str, *, process_before_response: bool) -> App:
    def authorize(**_kwargs: object) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-bare", bot_id="B1", bot_user_id="U1")

    app = App(signing_secret=secret, authorize=authorize, process_before_response=process_before_response)

    @app.command("/order")
    def order(ack: Ack) -> None:
        ack()

    return app


def real_app(db_path: str, secret: str, slack_url: str) -> App:
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    db = Database(engine)
    seed_demo_orders(db)
    services = Services(db=db, store=LocalStore(db))
    return create_app(BotContext(services, WorkerPool()), make_client("xoxb-bench", slack_url), secret)


def main() -> None:
    if sys.argv[1] == "slack":
        fake = FakeSlack().start()
        print(f"READY {fake.url}", flush=True)
        threading.Event().wait()
    mode, db_path, secret = sys.argv[1:4]
    if mode == "app":
        tune_interpreter()  # as `returnbot run` does
        app = real_app(db_path, secret, sys.argv[4])
    else:
        app = bare_app(secret, process_before_response=mode == "bare")
    server = SlackHTTPServer(("127.0.0.1", 0), app, lambda: {"ok": True})
    print(f"READY {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
