"""The ack benchmark is fair: the bot and the bare Bolt app get the same interpreter settings and the same
server, and the bot's replies reach a live fake Slack (bench/ack_server.py, bench/ack_latency.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench import ack_latency, ack_server, orders_gen
from bot.shell.standin import FakeSlack, signed_headers, slash_command_form
from integrations.local_store.seed import seed_demo_orders
from storage.db import Database, make_engine
from storage.migrate import upgrade
from tests.test_http_server import wait_until_healthy


@pytest.fixture
def switch_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def _store(tmp_path: Path) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "bench.db"
    db = Database(make_engine(f"sqlite:///{path}"))
    upgrade(db.engine)
    seed_demo_orders(db)
    db.dispose()
    return str(path)


def test_both_apps_get_the_same_interpreter_settings(tmp_path: Path, switch_interval: None) -> None:
    tuned = []
    with FakeSlack() as slack:
        for mode in ("bare", "app"):
            sys.setswitchinterval(0.005)  # Python's default
            ack_server.wsgi_app(mode, _store(tmp_path / mode) if mode == "app" else "", "s", slack.root_url)
            tuned.append(sys.getswitchinterval())
    assert tuned[0] == tuned[1] != 0.005


def test_the_bots_replies_reach_a_live_fake_slack(tmp_path: Path, switch_interval: None) -> None:
    from bot.main.http_server import SlackHTTPServer

    with FakeSlack() as slack:
        app, health = ack_server.real_app(_store(tmp_path), ack_latency.SECRET, slack.root_url)
        server = SlackHTTPServer(("127.0.0.1", 0), app, health)
        server.start_in_thread()
        try:
            wait_until_healthy(server.url)
            with httpx.Client(base_url=server.url, timeout=20) as http:
                for i, text in enumerate(("#1001", "nobody-by-this-name")):
                    body = slash_command_form(
                        "/order", text, "U0BENCH", "C0BENCH", f"{slack.root_url}response/bench-{i}"
                    )
                    headers = signed_headers(ack_latency.SECRET, body)
                    assert http.post("/slack/events", content=body.encode(), headers=headers).status_code == 200
            [card] = slack.wait_for("chat.postMessage")
            [reply] = slack.wait_for("response_url")
        finally:
            server.shutdown()
            server.server_close()
    assert card.response["ok"] and reply.args["tag"] == "bench-1"


def test_the_queries_are_every_kind_an_agent_types() -> None:
    queries = ack_latency._queries(2_000)
    kinds = orders_gen.sample_queries(2_000, 40)
    assert set(queries) == {q for qs in kinds.values() for q in qs}
    assert queries[: len(kinds)] == [qs[0] for qs in kinds.values()]  # interleaved, not one kind after another
