"""The shell's `tick [+15d]` and `home`: `/order #1001`, `2` (an instant return), `tick +15d`, `tick +7d` shows the
reminder, the escalation and a digest, as `returnbot shell` does with those lines on its input."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.shell.session import HELP
from bot.shell.ticking import describe, parse_step
from commands.services import LifecycleSettings, Services
from commands.tick import TickReport
from storage.db import Database
from tests.lifecycle_env import make_services
from tests.slack_harness import shell


@pytest.fixture
def services(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.chdir(tmp_path)  # the shell saves label PDFs under ./files
    # as `returnbot shell` runs without ESCALATION_CHANNEL and DIGEST_CHANNEL: the shell's channels take them
    return make_services(db, tmp_path, settings=LifecycleSettings())



def test_the_reminder_the_escalation_and_a_digest(services: Services) -> None:
    out = shell(services, "/order #1001", "2", "tick +15d", "tick +7d")
    tick15, tick22 = out.split("> tick +15d")[1].split("> tick +7d")
    assert "⏱ tick at Tue 2026-11-17 10:00" in tick15 and "1 reminder" in tick15
    assert "⏰ @agent, return R1001-1 for #1001 has not arrived after 15 days" in tick15
    assert "[2] Remind customer" in tick15 and "[4] Close (customer keeps it)" in tick15
    assert "State: label created · 15 days" in tick15  # the return's message, with its state and age
    assert "1 escalation" in tick22 and "returnbot · in #approvals" in tick22
    assert "🚨 Return R1001-1 for #1001 has not arrived after 22 days" in tick22
    assert "RETURNS DIGEST — TUE 24 NOV 2026" in tick22 and "Overdue: 1" in tick22
    assert "Traceback" not in out and "Slack would refuse" not in out


def test_mark_received_from_the_reminder_and_the_home_tab(services: Services) -> None:
    # the reminder's buttons: [1] Mark received; the form: three quantities and conditions (Enter keeps), a note
    out = shell(services, "/order #1001", "2", "tick +15d", "home", "1", "", "", "", "", "", "", "Box was wet", "home")
    assert "Home tab of @agent" in out and "label created · 15 days · ⚠️ overdue" in out
    assert "Mark received" in out and "submitted" in out
    assert "📦 Return R1001-1 for #1001 was received by @agent" in out and "Note: Box was wet" in out
    assert "[1] Refund now" in out
    assert (
        out.rstrip().endswith("Updated 2026-11-17 10:00 UTC") and "You have no open returns" in out.split("> home")[-1]
    )
    assert "Traceback" not in out


def test_tick_words() -> None:
    assert parse_step("tick") == timedelta(0)
    assert parse_step("tick +15d") == timedelta(days=15)
    assert parse_step("tick +2h") == timedelta(hours=2) and parse_step("tick +30m") == timedelta(minutes=30)
    assert parse_step("tick -1d") is None and parse_step("tick 15") is None and parse_step("ticket") is None
    assert describe(TickReport()) == "nothing was due"
    assert describe(TickReport(reminders=1, escalations=2, expired=2, digests=1)) == (
        "1 reminder, 2 escalations, 2 expiries, 1 digest"
    )
    assert "tick +15d" in HELP and "home" in HELP


def test_a_tick_the_shell_does_not_know_says_how(services: Services) -> None:
    out = shell(services, "tick 3 days", "tick")
    assert "Type tick (one tick now), or tick +15d" in out
    assert "nothing was due" in out


def test_configured_channels_are_kept(services: Services) -> None:
    services.lifecycle = replace(services.lifecycle, escalation_channel="C0LEADS01", digest_channel="")
    out = shell(services, "/order #1001", "2", "tick +22d")
    assert "🚨 Return R1001-1" in out and "RETURNS DIGEST" in out  # the digest in #support, the shell's channel
    assert services.lifecycle.escalation_channel == "C0LEADS01"
