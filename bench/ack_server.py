"""A server for the ack benchmark, in its own process: the real bot, or a bare Bolt app that only acks.

`python -m bench.ack_server app|bare|bare-default DB_PATH SECRET` prints `READY <url>` when listening.
"""

from __future__ import annotations

import sys

from slack_bolt import Ack, App
from slack_bolt.authorization import AuthorizeResult

from bot.app import create_app, make_client
from bot.context import BotContext
from bot.http_server import SlackHTTPServer
from bot.slack_standin import FakeSlack
from bot.worker import WorkerPool
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


def real_app(db_path: str, secret: str) -> tuple[App, Services]:
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    db = Database(engine)
    seed_demo_orders(db)
    services = Services(db=db, store=LocalStore(db))
    fake = FakeSlack().start()  # the Web API the background work posts cards to
    app = create_app(BotContext(services, WorkerPool()), make_client("xoxb-bench", fake.url), secret)
    return app, services


def main() -> None:
    mode, db_path, secret = sys.argv[1:4]
    if mode == "app":
        app, _ = real_app(db_path, secret)
    else:
        app = bare_app(secret, process_before_response=mode == "bare")
    server = SlackHTTPServer(("127.0.0.1", 0), app, lambda: {"ok": True})
    print(f"READY {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
