"""`returnbot doctor`: one line per check against real local parts (fake Slack, SMTP, databases)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller

from bot.main.config import load_settings
from bot.main.doctor import check_carrier, check_database, check_mail, check_slack, run_checks
from bot.main.slack_scopes import BOT_SCOPES
from bot.shell.standin import FakeSlack
from integrations.carriers.shipit.standin import FakeShipit

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Sink:
    async def handle_DATA(self, server, session, envelope) -> str:
        return "250 OK"


@pytest.fixture
def smtp_port() -> Iterator[int]:
    controller = Controller(_Sink(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port
    controller.stop()


def test_manifest_scopes_are_the_ones_the_bot_checks() -> None:
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)


def test_all_local_checks_pass(db_url: str, smtp_port: int, tmp_path: Path) -> None:
    with FakeSlack() as fake:
        fake.scopes = ",".join(BOT_SCOPES)
        settings = load_settings(
            DATABASE_URL=db_url, SLACK_BOT_TOKEN="xoxb-ok", SLACK_API_URL=fake.url, SLACK_SIGNING_SECRET="s",
            SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", OUTBOX_DIR=tmp_path / "outbox",
        )  # fmt: skip
        lines = [c.line() for c in run_checks(settings, timeout=5)]
    assert all(line.startswith("✓") for line in lines), lines
    assert any(line.startswith("✓ Slack: bot @") for line in lines)
    assert f"✓ e-mail: SMTP server 127.0.0.1:{smtp_port} accepts the bot" in lines


def test_each_failure_says_what_to_fix(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        fake.scopes = "commands"
        settings = load_settings(SLACK_BOT_TOKEN="xoxb-ok", SLACK_API_URL=fake.url)
        slack = check_slack(settings, 5)
        fake.fail_next("auth.test", error="invalid_auth")
        refused = check_slack(settings, 5)
    assert [c.ok for c in slack] == [True, False, False]
    assert "missing chat:write (post order cards and replies)" in slack[1].line()
    assert "SLACK_APP_TOKEN" in slack[2].line()
    assert refused[0].line() == "✗ Slack: auth.test refused the token (invalid_auth): check SLACK_BOT_TOKEN"

    no_db = check_database(load_settings(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"), 5)
    assert not no_db.ok and "check DATABASE_URL" in no_db.detail

    fresh = check_database(load_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'new.db'}"), 5)
    assert not fresh.ok and "run `returnbot db upgrade`" in fresh.detail

    dead_smtp = check_mail(load_settings(SMTP_URL=f"smtp://127.0.0.1:{_free_port()}"), 2)
    assert not dead_smtp.ok and "check SMTP_URL" in dead_smtp.detail
    assert not check_mail(load_settings(SMTP_URL="http://mail.example.com"), 2).ok


def test_shopify_check_names_the_shop_and_the_missing_scopes() -> None:
    from bot.main.doctor import check_shopify
    from integrations.local_store.demo import demo_orders
    from integrations.shopify.standin.server import FakeShopify

    def settings_for(fake: FakeShopify, token: str) -> object:
        return load_settings(
            STORE="shopify", SHOPIFY_SHOP=fake.shop_domain, SHOPIFY_ACCESS_TOKEN=token, SHOPIFY_ADMIN_URL=fake.admin_url
        )

    with FakeShopify(
        demo_orders(),
        scopes=("read_orders", "read_customers", "write_orders", "read_all_orders", "write_draft_orders",
                "read_products"),
    ) as fake:
        good = check_shopify(settings_for(fake, fake.access_token), 5)
        refused = check_shopify(settings_for(fake, "shpat_wrong"), 5)
    assert [c.line() for c in good] == [
        "✓ Shopify: Returnbot Demo (returnbot-demo.myshopify.com)",
        "✓ Shopify scopes: read_customers, read_orders, write_orders",
    ]
    assert refused[0].line() == "✗ Shopify: Shopify refused the access token (HTTP 401): check SHOPIFY_ACCESS_TOKEN."

    with FakeShopify(demo_orders(), scopes=("read_orders",)) as fake:
        partial = check_shopify(settings_for(fake, fake.access_token), 5)
    assert partial[1].line().startswith("✗ Shopify scopes: missing read_customers (find orders by customer name)")
    assert "write_orders (refund orders)" in partial[1].line()
    assert (
        partial[2].line() == "! Shopify scopes: without read_all_orders the bot cannot find orders older than 60 days"
    )
    assert partial[2].ok


def _doctor(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "STORE", "CARRIER"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.main.cli", "doctor"],
        cwd=tmp_path, env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_configuration_problem_is_said_once(tmp_path: Path) -> None:
    proc = _doctor(tmp_path, STORE="magento", CARRIER="ups")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "✗ configuration: STORE: unknown value 'magento': input should be 'local' or 'shopify'",
        "✗ configuration: CARRIER: unknown value 'ups': input should be 'local', 'shipit' or 'postnord'",
    ]
    assert proc.stdout == ""


def test_an_unreachable_slack_is_one_line_without_slack_sdk_errors(tmp_path: Path) -> None:
    proc = _doctor(tmp_path, SLACK_BOT_TOKEN="xoxb-x", SLACK_API_URL=f"http://127.0.0.1:{_free_port()}/api/")
    assert proc.returncode == 1
    assert [line for line in proc.stdout.splitlines() if "Slack" in line] == [
        line for line in proc.stdout.splitlines() if line.startswith("✗ Slack: cannot reach http://127.0.0.1:")
    ]
    assert "slack_sdk" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr


def test_a_carrier_that_start_refuses_fails_the_doctor_too(tmp_path: Path) -> None:
    assert [c.line() for c in check_carrier(load_settings(CARRIER="shipit"), 2)] == [
        "✗ carrier: CARRIER=shipit needs SHIPIT_API_KEY and SHIPIT_SERVICE_ID"
    ]
    assert [c.line() for c in check_carrier(load_settings(CARRIER="local"), 2)] == [
        "✓ carrier: local: labels made by the bot, tracking numbers from the database"
    ]
    proc = _doctor(tmp_path, CARRIER="postnord")  # run_checks includes it: `doctor` fails as the start would
    assert proc.returncode == 1 and "✗ carrier: CARRIER=postnord needs POSTNORD_API_KEY" in proc.stdout


def test_the_doctor_asks_shipit_whether_the_key_and_the_services_work() -> None:
    with FakeShipit() as fake:
        good = {"CARRIER": "shipit", "SHIPIT_API_URL": fake.url, "SHIPIT_API_KEY": fake.api_key,
                "SHIPIT_SERVICE_ID": fake.service_id, "SHIPIT_PICKUP_SERVICE_ID": fake.pickup_service_id}  # fmt: skip
        assert [c.line() for c in check_carrier(load_settings(**good), 2)] == [
            "✓ carrier shipit: Shipit accepts the key and the services (default)"
        ]
        wrong_key = [c.line() for c in check_carrier(load_settings(**good | {"SHIPIT_API_KEY": "typo"}), 2)]
        assert wrong_key == ["✗ carrier shipit: SHIPIT_API_KEY is refused by Shipit: check the key in Shipit's "
                             "settings (API)."]  # fmt: skip
        assert "typo" not in wrong_key[0]
        unknown = check_carrier(load_settings(**good | {"SHIPIT_PICKUP_SERVICE_ID": "dhl.999"}), 2)
        assert [c.line() for c in unknown] == [
            "✗ carrier shipit: SHIPIT_PICKUP_SERVICE_ID=dhl.999 is not one of this Shipit account's services"
        ]
        by_country = check_carrier(load_settings(**good | {"CARRIER": "local", "CARRIER_BY_COUNTRY": "FI:shipit"}), 2)
        assert [c.line() for c in by_country][1] == (
            "✓ carrier shipit: Shipit accepts the key and the services (FI→shipit)"
        )
