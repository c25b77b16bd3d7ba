"""What HTTP mode writes to the log: a refused request is one line with the reason, never its body (anyone can
send a megabyte of it, and customer data typed in /order must not land there); the level set for `slack_bolt`
holds; lookups log no personal data at INFO."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app import create_app, make_client
from bot.common.context import BotContext
from bot.common.worker import WorkerPool
from bot.shell.standin import FakeSlack, slash_command_form
from commands.services import Services
from integrations.local_store.store import LocalStore
from storage.db import Database
from tests.test_http_server import FORM, SECRET, post, serving

CUSTOMER = ("Jānis", "Bērziņš", "janis.berzins@example.com")


def test_a_refused_signature_is_one_line_without_the_body(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # everything anyone logs
    with serving(tmp_path) as served, served.http() as http:
        body = slash_command_form("/order", "Jānis Bērziņš marker-7f3a", "U0AGENT01", "C1", served.fake.response_url())
        caplog.clear()
        forged = http.post("/slack/events", content=body.encode(), headers={"Content-Type": FORM})
        stale = http.post(
            "/slack/events",
            content=body.encode(),
            headers={"Content-Type": FORM, "X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"},
        )
    assert (forged.status_code, stale.status_code) == (401, 401)
    assert not [r for r in caplog.records if "marker-7f3a" in r.getMessage() or "Bērziņš" in r.getMessage()]
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in refused] == [
        (logging.WARNING, "refused a request to /slack/events: no X-Slack-Request-Timestamp header"),
        (logging.WARNING, "refused a request to /slack/events: X-Slack-Request-Timestamp is not a number of seconds"),
    ]


def test_the_level_set_for_slack_bolt_holds(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the root at INFO, as `returnbot run` sets it …
    caplog.set_level(logging.WARNING, logger="slack_bolt")  # … and Bolt at WARNING
    worker = WorkerPool(workers=1)
    with FakeSlack() as fake:
        app = create_app(BotContext(Services(db, LocalStore(db)), worker), make_client("xoxb-t", fake.url), SECRET)
    worker.shutdown()
    bolt_loggers = [app.logger, *(m.logger for m in app._middleware_list if isinstance(getattr(m, "logger", None),
                                                                                      logging.Logger))]  # fmt: skip
    assert len(bolt_loggers) > 1
    assert [lg.name for lg in bolt_loggers if lg.isEnabledFor(logging.INFO)] == []
    caplog.set_level(logging.DEBUG, logger="slack_bolt")  # and `-v` turns them on again
    assert all(lg.isEnabledFor(logging.DEBUG) for lg in bolt_loggers)


def test_lookups_log_no_personal_data_at_info(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with serving(tmp_path) as served, served.http() as http:
        for text in ("#1001", "jani berz", "janis.berzins@example.com"):
            body = slash_command_form("/order", text, "U0AGENT01", "C0SUPPORT1", served.fake.response_url())
            assert post(http, body).status_code == 200
        served.settle()
        assert len(served.fake.calls_to("chat.postMessage")) + len(served.fake.calls_to("response_url")) == 3
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    for personal in (*CUSTOMER, "jani berz", "berzins"):
        assert personal not in logged
