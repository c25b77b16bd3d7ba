"""The scheduler in `returnbot run` (APScheduler, one tick at a time, stopped on exit), `returnbot tick --at`,
`returnbot carrier-scan`, and the lifecycle's settings: one clear line per bad value."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from bot.app import make_client
from bot.main.config import ConfigError, load_settings
from bot.main.scheduler import JOB_ID, Ticker
from bot.main.services import lifecycle_settings
from bot.shell.standin import FakeSlack
from commands import returns
from commands.services import Services
from domain.vocabulary import ReturnStatus
from storage.db import Database, make_engine
from storage.migrate import upgrade
from tests.lifecycle_env import T0, RecordingNotifier, clock_of, label_return, make_services

ROOT = Path(__file__).resolve().parents[1]
LIFECYCLE_NAMES = ("RETURN_REMINDER_DAYS", "RETURN_ESCALATION_DAYS", "RETURN_EXPIRY_DAYS", "RETURN_CUSTOMER_REMINDER",
                   "ESCALATION_CHANNEL", "DIGEST_CHANNEL", "DIGEST_TIME", "TIMEZONE", "TICK_SECONDS",
                   "APPROVALS_CHANNEL")  # fmt: skip
CLEAN = {
    k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "STORE", "SHOPIFY_", "SMTP_"))
    and k not in LIFECYCLE_NAMES
}  # fmt: skip


class Signalling(RecordingNotifier):
    """Sets `said` when a reminder is said: the test waits on it instead of on the clock."""

    def __init__(self) -> None:
        super().__init__()
        self.said = threading.Event()

    def reminder(self, case: Any, *, customer_emailed_to: str | None) -> None:
        super().reminder(case, customer_emailed_to=customer_emailed_to)
        self.said.set()


@pytest.fixture
def services(db: Database, tmp_path: Path) -> Services:
    return make_services(db, tmp_path)


def test_the_job_ticks_alone_in_memory_and_stops_on_exit(services: Services) -> None:
    ticker = Ticker(services, RecordingNotifier(), seconds=60, owner="here")
    ticker.start()
    try:
        assert ticker.scheduler.running
        job = ticker.scheduler.get_job(JOB_ID)
        assert job is not None and isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(seconds=60)
        assert (job.max_instances, job.coalesce) == (1, True)
        assert type(ticker.scheduler._jobstores["default"]).__name__ == "MemoryJobStore"
    finally:
        ticker.stop()
    assert not ticker.scheduler.running
    ticker.stop()  # twice is harmless (an exit path may reach it again)


def test_the_scheduler_runs_the_tick_at_the_injected_time(services: Services) -> None:
    rma = label_return(services)
    clock_of(services).advance(timedelta(days=14))  # the tick's "now" is the services' clock, not the wall's
    notifier = Signalling()
    ticker = Ticker(services, notifier, seconds=3600, owner="here").start()
    try:
        ticker.tick_soon()
        assert notifier.said.wait(timeout=60)
    finally:
        ticker.stop()
    assert notifier.calls == [("reminder", rma)]
    assert ticker.last is not None and ticker.last.reminders == 1


def test_a_tick_while_the_database_is_down_keeps_the_job(services: Services) -> None:
    working = services.db
    services.db = Database(make_engine("postgresql+psycopg://returnbot@127.0.0.1:9/nothing_listens_here"))
    ticker = Ticker(services, RecordingNotifier(), seconds=60, owner="here")
    report = ticker.run_once()
    assert report.errors >= 1
    assert ticker.scheduler.get_job(JOB_ID) is not None
    services.db.dispose()
    services.db = working
    assert ticker.run_once().errors == 0


def test_the_lifecycle_settings_have_their_defaults_and_fall_back_to_the_approvals_channel(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in LIFECYCLE_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APPROVALS_CHANNEL", "C_APPROVALS")
    lifecycle = lifecycle_settings(load_settings())
    assert (lifecycle.reminder_days, lifecycle.escalation_days, lifecycle.expiry_days) == (14, 21, 30)
    assert lifecycle.customer_reminder and lifecycle.digest_time == time(9, 0)
    assert lifecycle.timezone == ZoneInfo("Europe/Helsinki")
    assert (lifecycle.escalation_channel, lifecycle.digest_channel) == ("C_APPROVALS", "C_APPROVALS")
    assert load_settings().TICK_SECONDS == 60
    monkeypatch.setenv("ESCALATION_CHANNEL", "C_LEADS")
    monkeypatch.setenv("DIGEST_CHANNEL", "C_DIGEST")
    monkeypatch.setenv("RETURN_CUSTOMER_REMINDER", "false")
    lifecycle = lifecycle_settings(load_settings())
    assert (lifecycle.escalation_channel, lifecycle.digest_channel, lifecycle.customer_reminder) == (
        "C_LEADS", "C_DIGEST", False,
    )  # fmt: skip


def test_every_bad_lifecycle_value_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    bad = {"RETURN_EXPIRY_DAYS": "20", "DIGEST_TIME": "9 am", "TIMEZONE": "Europe/Atlantis", "TICK_SECONDS": "0",
           "RETURN_CUSTOMER_REMINDER": "perhaps"}  # fmt: skip
    for name, value in bad.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    problems = caught.value.problems
    assert sorted(p.split(":")[0] for p in problems) == sorted(bad)
    assert "RETURN_EXPIRY_DAYS: must be after RETURN_ESCALATION_DAYS (21)" in "\n".join(problems)
    assert "DIGEST_TIME: '9 am' is not a time of day: write it as HH:MM" in "\n".join(problems)
    assert "TIMEZONE: unknown time zone 'Europe/Atlantis'" in "\n".join(problems)
    assert all("\n" not in p for p in problems)


# -- the command line ---------------------------------------------------------------------------------------------


def returnbot(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.main.cli", *args], cwd=cwd, env={**CLEAN, "PYTHONPATH": str(ROOT), **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def prepared(tmp_path: Path, **where: str) -> tuple[str, Services, str]:
    """A database file with the demo orders and one return labelled at T0; (its URL, services on it, the RMA)."""
    url = f"sqlite:///{tmp_path / 'returnbot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    services = make_services(Database(engine), tmp_path)
    return url, services, label_return(services, **where)


def test_carrier_scan_records_a_scan_and_the_next_tick_receives_it(tmp_path: Path) -> None:
    url, services, rma = prepared(tmp_path)
    case = returns.get_case(services.db, rma)
    assert case.label is not None
    tracking = case.label.tracking_number
    spaced = f"{tracking[:2].lower()} {tracking[2:6]} {tracking[6:]}"  # as a person types it
    proc = returnbot("carrier-scan", spaced, "delivered", cwd=tmp_path, env={"DATABASE_URL": url})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{tracking}: delivered (the next tick moves its return on)"
    proc = returnbot("carrier-scan", "RB999999999FI", "delivered", cwd=tmp_path, env={"DATABASE_URL": url})
    assert proc.returncode == 1 and "no label has the tracking number RB999999999FI" in proc.stderr
    proc = returnbot("carrier-scan", tracking, "lost", cwd=tmp_path, env={"DATABASE_URL": url})
    assert proc.returncode == 2 and "invalid choice: 'lost'" in proc.stderr
    from commands import tick as ticks

    report = ticks.tick(services, RecordingNotifier(), now=services.clock(), owner="t")
    assert report.received == 1 and returns.get_case(services.db, rma).status is ReturnStatus.RECEIVED
    services.db.dispose()


def test_tick_at_a_given_time_posts_to_slack_and_prints_what_it_did(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        client = make_client("xoxb-test", slack.url)
        card = client.chat_postMessage(channel="C_ORDERS", text="Order #1001")["ts"]
        status = client.chat_postMessage(channel="C_ORDERS", thread_ts=card, text="⏳ Making the label…")["ts"]
        url, services, rma = prepared(tmp_path, thread_ts=str(card), status_ts=str(status))
        services.db.dispose()
        env = {"DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.url,
               "APPROVALS_CHANNEL": "C_LEADS", "DIGEST_CHANNEL": "C_DIGEST"}  # fmt: skip
        at = (T0 + timedelta(days=14, hours=1)).astimezone(ZoneInfo("Europe/Helsinki")).replace(tzinfo=None)
        proc = returnbot("tick", "--at", at.isoformat(timespec="minutes"), cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == (
            f"tick at {(T0 + timedelta(days=14, hours=1)).isoformat(timespec='seconds')}: reminders 1, escalations 0, "
            "expired 0, digests 1, received 0, recovered 0, cancelled 0, errors 0"
        )
        thread = slack.thread("C_ORDERS", str(card))
        assert any(rma in m.get("text", "") for m in thread[2:])  # the reminder, in the return's thread
        assert [m["text"] for m in slack.messages("C_DIGEST")]  # the day's digest
        slack.assert_no_errors()
        assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1  # the customer's reminder
        again = returnbot("tick", "--at", at.isoformat(timespec="minutes"), cwd=tmp_path, env=env)
        assert again.returncode == 0 and "reminders 0" in again.stdout and "digests 0" in again.stdout
    missing = returnbot("tick", cwd=tmp_path, env={"DATABASE_URL": url})
    assert missing.returncode == 2 and "SLACK_BOT_TOKEN is not set" in missing.stderr
    bad = returnbot("tick", "--at", "tomorrow", cwd=tmp_path, env={"DATABASE_URL": url})
    assert bad.returncode == 2 and "'tomorrow' is not an ISO time" in bad.stderr
