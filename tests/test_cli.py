"""The console script as a person runs it: shell from stdin, run without tokens, db upgrade, import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from slack_bolt import BoltRequest

from bot.app import create_app, make_client
from bot.common.context import BotContext
from bot.common.worker import WorkerPool
from bot.shell.standin import FakeSlack, slash_command_form
from commands.services import Services
from integrations.local_store.store import LocalStore

ROOT = Path(__file__).resolve().parents[1]
CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "STORE", "SHOPIFY_"))}


def returnbot(*args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.main.cli", *args],
        input=stdin,
        cwd=cwd,
        env={**CLEAN, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_shell_reads_stdin_and_prints_the_card(tmp_path: Path) -> None:
    proc = returnbot("shell", cwd=tmp_path, stdin="/order #1001\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "ORDER #1001" in out
    assert "Customer: Jānis Bērziņš · janis.berzins@example.com" in out
    assert "Total: 387.70 EUR" in out
    assert "Traceback" not in out + proc.stderr
    assert (tmp_path / "returnbot.db").exists()  # the embedded default, seeded on first start


def test_shell_pick_list_buttons_are_numbered_and_pressable(tmp_path: Path) -> None:
    proc = returnbot("shell", cwd=tmp_path, stdin="/order jani berz\n2\n7\n/unknown\nhelp\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "[1] Show #1024" in out and "[2] Show #1001" in out
    assert "ORDER #1001" in out
    assert "There is no button [7] on screen." in out
    assert "/unknown is not a command of this bot" in out
    assert "/order #1001" in out  # help


def test_run_without_tokens_explains_and_points_to_the_shell(tmp_path: Path) -> None:
    proc = returnbot("run", cwd=tmp_path)
    assert proc.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in proc.stderr
    assert "SLACK_APP_TOKEN is not set" in proc.stderr
    assert "returnbot shell" in proc.stderr
    http = returnbot("run", "--http", cwd=tmp_path)
    assert http.returncode == 2 and "SLACK_SIGNING_SECRET is not set" in http.stderr
    assert "Traceback" not in proc.stderr + http.stderr


def test_run_with_a_refused_token_says_so(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        fake.fail_next("auth.test", error="invalid_auth")
        env = {"SLACK_BOT_TOKEN": "xoxb-bad", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": fake.url}
        proc = returnbot("run", "--http", "--port", "0", cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert "SLACK_BOT_TOKEN: Slack refused the token" in proc.stderr
    assert "invalid_auth" in proc.stderr and "Traceback" not in proc.stderr


def test_db_upgrade_and_unreachable_database(tmp_path: Path) -> None:
    ok = returnbot("db", "upgrade", cwd=tmp_path)
    assert ok.returncode == 0 and "up to date" in ok.stdout
    bad = returnbot("db", "upgrade", cwd=tmp_path, env={"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"})
    assert bad.returncode == 2
    assert bad.stderr.startswith("DATABASE_URL: cannot use the database:")
    assert "Traceback" not in bad.stderr


def test_import_orders_prints_a_summary_and_refuses_a_non_export(tmp_path: Path) -> None:
    export = tmp_path / "orders.csv"
    export.write_text(
        "Name,Email,Financial Status,Fulfillment Status,Currency,Total,Created at,Lineitem quantity,Lineitem name,"
        "Lineitem price\n#7001,a@example.com,paid,unfulfilled,EUR,5.00,2026-10-01 10:00:00 +0000,1,Pin,5.00\n",
        encoding="utf-8",
    )
    ok = returnbot("import-orders", str(export), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "1 new" in ok.stdout

    not_export = tmp_path / "customers.csv"
    not_export.write_text("First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n", encoding="utf-8")
    bad = returnbot("import-orders", str(not_export), cwd=tmp_path)
    assert bad.returncode == 1
    assert "nothing was imported" in bad.stderr and "not a Shopify orders export" in bad.stderr
    missing = returnbot("import-orders", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_manifest_declares_exactly_the_commands_the_app_handles(db) -> None:
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert {"commands", "chat:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])

    services = Services(db, LocalStore(db))
    worker = WorkerPool()
    with FakeSlack() as fake:
        app = create_app(BotContext(services, worker), make_client("xoxb-t", fake.url), signing_secret=None)

        def handled(command: str) -> bool:
            body = slash_command_form(command, "", "U1", "C1", fake.response_url())
            return app.dispatch(BoltRequest(body=body, mode="socket_mode")).status != 404

        assert declared == {"/order", "/return", "/returns", "/refund", "/cancel-order", "/replace", "/report"}
        assert all(handled(c) for c in declared)
        assert not handled("/not-a-command")
        worker.wait_idle()  # `/returns` answers from the pool: while the fake Slack is still there


def test_shell_fills_the_return_form_and_saves_the_label(tmp_path: Path) -> None:
    # /order, pick "Create return shipment", Enter on every field (two items: quantity, reason, exchange) but the
    # weight (1.5 kg)
    answers = ["/order #1002", "1", *[""] * 11, "1.5", *[""] * 5]
    proc = returnbot("shell", cwd=tmp_path, stdin="\n".join(answers) + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "Parcel weight, kg [1]: 1.5" in proc.stdout
    assert "has its label" in proc.stdout
    assert (tmp_path / "files" / "return-label-R1002-1.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_shell_agent_requests_a_refund_the_lead_approves_and_audit_shows_it(tmp_path: Path) -> None:
    # the form: 1 of the first item (typed as 1), Enter on the rest, reason 2 (damaged), a note; then the lead approves
    answers = ["/refund #1009", "1", "", "", "", "", "2", "Seam came open", "as lead", "1", "as agent", "/order #1009"]
    proc = returnbot("shell", cwd=tmp_path, stdin="\n".join(answers) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "in #approvals" in out and "Refund request #1" in out
    assert "waiting for a team lead's approval in #approvals" in out
    assert "Approved by @lead. Refunded 79.00 EUR" in out and "✅ Refunded 79.00 EUR to the customer" in out
    assert "Total: 116.90 EUR (refunded 79.00 EUR)" in out  # the card, read again from the store

    audit = returnbot("audit", "--order", "1009", cwd=tmp_path)
    assert audit.returncode == 0, audit.stderr
    trail = [tuple(line.split("  ")[1:3]) for line in audit.stdout.splitlines()]  # who, what
    assert trail == [
        ("user U0SHELL01", "refund.requested"), ("user U0SHELL02", "refund.approved"),
        ("user U0SHELL02", "refund.executing"), ("system", "refund.succeeded"),
    ]  # fmt: skip


def test_help_describes_every_command_and_option(tmp_path: Path) -> None:
    def help_of(*command: str) -> str:
        proc = returnbot(*command, "--help", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        return " ".join(proc.stdout.split())  # argparse wraps lines: compare words

    run = help_of("run")
    assert "Connect the bot to Slack" in run and "Socket Mode by default" in run
    assert "--port PORT HTTP mode: the port to listen on (default: 3000)" in run
    assert "--host HOST HTTP mode: the address to listen on (default: 0.0.0.0" in run
    assert "Use the bot from the terminal, with no Slack workspace or tokens" in help_of("shell")
    assert "Check the configuration and every part it names" in help_of("doctor")
    assert "Exit status 1 when there is no such order" in help_of("audit")
    overview = help_of()
    for command in ("run", "shell", "doctor", "import-orders", "audit", "db"):
        assert f" {command} " in overview
