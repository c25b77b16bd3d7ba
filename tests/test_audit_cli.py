"""`returnbot audit --order #1001`: an order's audit trail, as a person runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.main.audit_cli import audit_line, order_name_of
from bot.shell.standin import FakeSlack
from integrations.local_store.seed import seed_demo_orders
from storage import audit, refunds
from storage.db import Database
from storage.models import LabelRow, ReturnCaseRow
from storage.refunds import RefundDraft, RefundLine

CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "STORE", "SHOPIFY_"))}
T0 = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
AGENT, LEAD = "U0AGENT", "U0LEAD"


def returnbot(
    *args: str, cwd: Path, database_url: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.main.cli", *args],
        cwd=cwd,
        env={**CLEAN, "DATABASE_URL": database_url, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def t(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def draft(order_name: str, amount: str) -> RefundDraft:
    return RefundDraft(
        store="local", order_id=order_name.lstrip("#"), order_name=order_name,
        lines=(RefundLine("7", "Wool socks", 1),), shipping=Decimal(0), restock="RETURN",
        amount=Decimal(amount), currency="EUR", reason="damaged",
    )  # fmt: skip


def refund_with_one_retry(db: Database) -> int:
    """#1001: requested, approved, a first attempt that failed, a retry that went through."""
    request = refunds.create(db, draft("#1001", "29.90"), requested_by=AGENT, at=t(0))
    refunds.approve(db, request.id, approver=LEAD, at=t(60))
    first = refunds.start_execution(db, request.id, actor=LEAD, at=t(61))
    assert first.attempt == 1
    refunds.finish(db, request.id, attempt=1, succeeded=False, failure="Shopify timed out\nafter 30 s", at=t(91))
    retry = refunds.start_execution(db, request.id, actor=LEAD, at=t(120))
    assert retry.attempt == 2
    refunds.finish(db, request.id, attempt=2, succeeded=True, store_refund_id="local-refund-7", at=t(121))
    return request.id


def test_the_trail_of_an_order_oldest_first(db: Database, db_url: str, tmp_path: Path) -> None:
    request_id = refund_with_one_retry(db)
    other = refunds.create(db, draft("#1002", "5.00"), requested_by=AGENT, at=t(30))  # another order: not shown
    refunds.reject(db, other.id, approver=LEAD, reason="not ours", at=t(31))
    with db.session(write=True) as s:
        audit.record(s, at=t(200), actor=AGENT, action="order.viewed", subject="order:#1001", channel="C1")

    proc = returnbot("audit", "--order", "#1001", cwd=tmp_path, database_url=db_url)

    assert proc.returncode == 0, proc.stderr
    subject = f"refund_request:{request_id}"
    agent, lead = f"user {AGENT}", f"user {LEAD}"  # no bot token to look their names up with
    assert proc.stdout.splitlines() == [
        f"2026-11-22 12:00:00 UTC  {agent}  refund.requested  {subject}  29.90 EUR, auto approved no",
        f"2026-11-22 12:01:00 UTC  {lead}  refund.approved  {subject}  29.90 EUR",
        f"2026-11-22 12:01:01 UTC  {lead}  refund.executing  {subject}  29.90 EUR, attempt 1",
        f"2026-11-22 12:01:31 UTC  system  refund.failed  {subject}  29.90 EUR, attempt 1, "
        "failure Shopify timed out after 30 s",
        f"2026-11-22 12:02:00 UTC  {lead}  refund.retried  {subject}  29.90 EUR, attempt 2",
        f"2026-11-22 12:02:01 UTC  system  refund.succeeded  {subject}  29.90 EUR, attempt 2, "
        "store refund local-refund-7",
        f"2026-11-22 12:03:20 UTC  {agent}  order.viewed  order:#1001  channel C1",
    ]
    # the number alone names the same order
    assert returnbot("audit", "--order", " 1001 ", cwd=tmp_path, database_url=db_url).stdout == proc.stdout


def test_an_order_without_events(db: Database, db_url: str, tmp_path: Path) -> None:
    seed_demo_orders(db)  # #1003 is in the store
    refund_with_one_retry(db)

    proc = returnbot("audit", "--order", "1003", cwd=tmp_path, database_url=db_url)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "No audit events for #1003.\n"


def test_an_empty_order_is_a_usage_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'returnbot.db'}"
    for empty in ("", "  ", "#"):
        proc = returnbot("audit", "--order", empty, cwd=tmp_path, database_url=url)
        assert proc.returncode == 2
        assert "--order needs an order name or number" in proc.stderr
        assert "Traceback" not in proc.stderr
    missing = returnbot("audit", cwd=tmp_path, database_url=url)
    assert missing.returncode == 2 and "--order" in missing.stderr


def test_events_are_found_by_the_order_they_name(db: Database) -> None:
    with db.session(write=True) as s:
        audit.record(s, at=t(2), actor="U1", action="refund.requested", subject="refund_request:9", order="#1001")
        audit.record(s, at=t(1), actor="U1", action="order.viewed", subject="order:#1001")
        audit.record(s, at=t(0), actor="U1", action="order.viewed", subject="order:#10010")
        audit.record(s, at=t(0), actor="U1", action="label.created", subject="label:3")

    with db.session() as s:
        found = [(e.action, e.subject) for e in audit.events_for_order(s, "#1001")]
        assert found == [("order.viewed", "order:#1001"), ("refund.requested", "refund_request:9")]
        assert audit.events_for_order(s, "#1") == []


def test_order_names_and_lines() -> None:
    assert [order_name_of(x) for x in ("1001", "#1001", " #1001 ", "SO-7", "", " ", "#")] == [
        "#1001", "#1001", "#1001", "SO-7", "", "", "",
    ]  # fmt: skip
    line = audit_line(
        datetime(2026, 11, 22, 14, 0, 5, tzinfo=UTC), "U1", "refund.rejected", "refund_request:3",
        {"order": "#1001", "amount": "5.00", "currency": "EUR", "reason": "not\nours", "extra": {"b": 1, "a": None}},
    )  # fmt: skip
    assert line == (
        "2026-11-22 14:00:05 UTC  U1  refund.rejected  refund_request:3  "
        '5.00 EUR, reason not ours, extra {"a": null, "b": 1}'
    )


def test_an_order_that_does_not_exist_is_said_so(db: Database, db_url: str, tmp_path: Path) -> None:
    seed_demo_orders(db)

    proc = returnbot("audit", "--order", "#9999", cwd=tmp_path, database_url=db_url)

    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == "audit: there is no order #9999 in the store (STORE=local)\n"


def test_users_are_named_when_a_bot_token_can_look_them_up(db: Database, db_url: str, tmp_path: Path) -> None:
    refund_with_one_retry(db)
    with FakeSlack(users={AGENT: {"name": "agent"}}) as slack:  # LEAD is not in the workspace (any more)
        env = {"SLACK_BOT_TOKEN": "xoxb-audit", "SLACK_API_URL": slack.url}
        proc = returnbot("audit", "--order", "#1001", cwd=tmp_path, database_url=db_url, env=env)
        looked_up = sorted(c.args["user"] for c in slack.calls_to("users.info"))

    assert proc.returncode == 0, proc.stderr
    who = [line.split("  ")[1] for line in proc.stdout.splitlines()]
    assert who == [f"@agent ({AGENT})", f"user {LEAD}", f"user {LEAD}", "system", f"user {LEAD}", "system"]
    assert looked_up == [AGENT, LEAD]  # once each, however many lines they have
    assert "Traceback" not in proc.stderr


def test_returns_and_their_labels_are_in_the_trail(db: Database, db_url: str, tmp_path: Path) -> None:
    with db.session(write=True) as s:
        case = ReturnCaseRow(
            rma="R1001-1", store="local", order_id="1", order_name="#1001", status="cancelled", delivery="drop_off",
            weight_grams=500, items=[{"line_item_id": "7", "name": "Wool socks", "sku": "WS", "quantity": 2}],
            sender={"name": "Jānis Bērziņš"}, requested_by=AGENT, created_at=t(10), updated_at=t(400),
        )  # fmt: skip
        case.labels.append(
            LabelRow(
                carrier="local", tracking_number="RB000001FI", status="voided", created_at=t(20), updated_at=t(300)
            )
        )
        s.add(case)
        other = ReturnCaseRow(
            rma="R1002-1", store="local", order_id="2", order_name="#1002", status="requested", delivery="drop_off",
            weight_grams=500, items=[], sender={}, requested_by=AGENT, created_at=t(15), updated_at=t(15),
        )  # fmt: skip
        s.add(other)
    refunds.create(db, draft("#1001", "29.90"), requested_by=LEAD, at=t(200))

    proc = returnbot("audit", "--order", "1001", cwd=tmp_path, database_url=db_url)

    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split("  ")[1:4] for line in lines] == [
        [f"user {AGENT}", "return.requested", "return:R1001-1"],
        ["system", "label.created", "label:1"],
        [f"user {LEAD}", "refund.requested", "refund_request:1"],
        ["-", "label.voided", "label:1"],
        ["-", "return.cancelled", "return:R1001-1"],
    ]
    assert lines[0].endswith("delivery drop_off, items 2, status now cancelled")
    assert lines[1].endswith("carrier local, return R1001-1, tracking RB000001FI")
    assert "Bērziņš" not in proc.stdout  # the customer's address is not part of the trail
