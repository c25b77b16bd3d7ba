"""Configuration: defaults, and one clear line per bad value, exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from bot.main.config import ConfigError, load_settings

CONFIG_NAMES = [
    "DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL", "STORE",
    "SHOPIFY_SHOP", "SHOPIFY_ACCESS_TOKEN", "SHOPIFY_API_VERSION", "SHOPIFY_ADMIN_URL", "CARRIER", "SMTP_URL",
    "OUTBOX_DIR", "APPROVALS_CHANNEL", "APPROVER_USERGROUP", "APPROVER_USER_IDS", "REFUND_AUTO_APPROVE_LIMIT",
    "RETURN_REMINDER_DAYS", "RETURN_ESCALATION_DAYS",
]  # fmt: skip


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in CONFIG_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_the_embedded_setup() -> None:
    s = load_settings()
    assert s.DATABASE_URL == "sqlite:///returnbot.db"
    assert (s.STORE, s.CARRIER) == ("local", "local")
    assert s.SHOPIFY_API_VERSION == "2026-07"
    assert Decimal(0) == s.REFUND_AUTO_APPROVE_LIMIT
    assert (s.RETURN_REMINDER_DAYS, s.RETURN_ESCALATION_DAYS) == (14, 21)
    assert s.slack_api_url == "https://slack.com/api/"


def test_dotenv_is_read(tmp_path) -> None:
    (tmp_path / ".env").write_text("STORE=local\nAPPROVER_USER_IDS=U1, U2;U3\nSLACK_API_URL=http://127.0.0.1:9/api\n")
    s = load_settings()
    assert s.approver_user_ids == frozenset({"U1", "U2", "U3"})
    assert s.slack_api_url == "http://127.0.0.1:9/api/"


def test_every_problem_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "not a url")
    monkeypatch.setenv("STORE", "magento")
    monkeypatch.setenv("CARRIER", "ups")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-wrong-kind")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    problems = caught.value.problems
    assert len(problems) == 5
    assert any(p.startswith("DATABASE_URL: not a database URL") for p in problems)
    assert any(p.startswith("STORE: unknown value 'magento'") for p in problems)
    assert any(p.startswith("CARRIER: unknown value 'ups'") for p in problems)
    assert any(p.startswith("SLACK_BOT_TOKEN: must be a bot token") for p in problems)
    assert any(p.startswith("SLACK_APP_TOKEN: must be an app-level token") for p in problems)


def test_unsupported_database_and_bad_shop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/db")
    monkeypatch.setenv("SHOPIFY_SHOP", "example.com")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.problems == [
        "DATABASE_URL: unsupported database 'mysql': use sqlite or postgresql",
        "SHOPIFY_SHOP: must be the shop's my-shop.myshopify.com domain",
    ]


def test_cli_exits_2_with_one_line_per_problem(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "nope://", "STORE": "magento", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.main.cli", "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        "configuration: DATABASE_URL: unsupported database 'nope': use sqlite or postgresql",
        "configuration: STORE: unknown value 'magento': input should be 'local' or 'shopify'",
    ]
    assert "Traceback" not in proc.stderr


def test_a_carrier_without_its_settings_is_refused_with_what_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().carrier_problem == ""
    monkeypatch.setenv("CARRIER", "shipit")
    assert load_settings().carrier_problem == "CARRIER=shipit needs SHIPIT_API_KEY and SHIPIT_SERVICE_ID"
    monkeypatch.setenv("SHIPIT_API_KEY", "k")
    monkeypatch.setenv("SHIPIT_SERVICE_ID", "posti.2108")
    assert load_settings().carrier_problem == ""
    monkeypatch.setenv("CARRIER_BY_COUNTRY", "SE:postnord")  # a carrier used by country needs its settings too
    assert load_settings().carrier_problem.startswith("CARRIER=postnord needs POSTNORD_API_KEY")


def test_carrier_by_country(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARRIER_BY_COUNTRY", "FI:shipit, se:postnord;DK : postnord")
    settings = load_settings()
    assert settings.carrier_by_country == {"FI": "shipit", "SE": "postnord", "DK": "postnord"}
    assert settings.carriers_in_use == ["local", "shipit", "postnord"]
    with pytest.raises(ConfigError) as refused:
        load_settings(CARRIER_BY_COUNTRY="Finland:shipit")
    assert refused.value.problems[0].startswith("CARRIER_BY_COUNTRY: 'Finland:shipit' is not COUNTRY:carrier")
