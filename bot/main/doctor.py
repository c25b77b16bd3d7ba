"""`returnbot doctor`: one line per check, saying what to fix; all must pass for exit status 0."""

from __future__ import annotations

import smtplib
import ssl
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url

from bot.main.config import Settings
from bot.main.services import carrier, first_line
from bot.main.slack_scopes import BOT_SCOPES
from domain.store import StoreError
from integrations.shopify import scopes as shopify_scopes
from integrations.shopify.client import RetryPolicy, ShopifyClient
from integrations.shopify.documents import document
from storage.db import make_engine
from storage.migrate import is_current


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # passes, but something is worth knowing

    def line(self) -> str:
        mark = "✓" if self.ok and not self.warning else "!" if self.ok else "✗"
        return f"{mark} {self.name}: {self.detail}"


def run_checks(settings: Settings, *, timeout: float = 10.0) -> Iterator[Check]:
    checks: list[Callable[[Settings, float], Check | list[Check]]] = [
        check_database, check_slack, check_shopify, check_carrier, check_mail
    ]  # fmt: skip
    for check in checks:
        try:
            result = check(settings, timeout)
        except Exception as exc:  # a check that breaks is a failed check, never a traceback
            result = Check(check.__name__.removeprefix("check_"), False, f"could not check: {exc}")
        yield from result if isinstance(result, list) else [result]


def check_database(settings: Settings, _timeout: float) -> Check:
    shown = make_url(settings.DATABASE_URL).render_as_string(hide_password=True)
    engine = make_engine(settings.DATABASE_URL)
    try:
        current = is_current(engine)
    except Exception as exc:
        return Check("database", False, f"cannot connect to {shown} ({first_line(exc)}): check DATABASE_URL")
    finally:
        engine.dispose()
    if not current:
        return Check("database", False, f"{shown}: migrations pending: run `returnbot db upgrade`")
    return Check("database", True, f"{shown}, schema up to date")


def check_slack(settings: Settings, timeout: float) -> list[Check]:
    if not settings.SLACK_BOT_TOKEN:
        return [Check("Slack", False, "SLACK_BOT_TOKEN is not set (`returnbot shell` works without it)")]
    client = WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.slack_api_url, timeout=int(timeout))
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error", "error")
        return [Check("Slack", False, f"auth.test refused the token ({error}): check SLACK_BOT_TOKEN")]
    except OSError as exc:
        return [Check("Slack", False, f"cannot reach {settings.slack_api_url} ({exc}): check SLACK_API_URL")]
    granted = {s.strip() for s in str(response.headers.get("x-oauth-scopes", "")).split(",") if s.strip()}
    missing = sorted(set(BOT_SCOPES) - granted)
    checks = [Check("Slack", True, f"bot @{response.get('user')} in workspace {response.get('team')}")]
    if missing:
        needs = ", ".join(f"{s} ({BOT_SCOPES[s]})" for s in missing)
        checks.append(Check("Slack scopes", False, f"missing {needs}: add them from app_manifest.yml and reinstall"))
    else:
        checks.append(Check("Slack scopes", True, ", ".join(sorted(BOT_SCOPES))))
    mode = []
    if not settings.SLACK_APP_TOKEN and not settings.SLACK_SIGNING_SECRET:
        mode.append(Check("Slack mode", False, "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)"))
    return checks + mode


def check_shopify(settings: Settings, timeout: float) -> list[Check]:
    if settings.STORE != "shopify":
        return [Check("Shopify", True, "not used (STORE=local)")]
    client = ShopifyClient(
        settings.shopify_admin_url,
        settings.SHOPIFY_ACCESS_TOKEN,
        timeout=timeout,
        policy=RetryPolicy(budget_seconds=timeout),
    )
    try:
        data = client.query(document("ShopInfo"))
    except StoreError as exc:
        return [Check("Shopify", False, str(exc))]
    finally:
        client.close()
    shop = data.get("shop") or {}
    granted = {s["handle"] for s in ((data.get("currentAppInstallation") or {}).get("accessScopes") or [])}
    checks = [Check("Shopify", True, f"{shop.get('name')} ({shop.get('myshopifyDomain')})")]
    missing = sorted(set(shopify_scopes.REQUIRED) - granted)
    if missing:
        needs = ", ".join(f"{s} ({shopify_scopes.REQUIRED[s]})" for s in missing)
        checks.append(Check("Shopify scopes", False, f"missing {needs}: grant them in the app's configuration"))
    else:
        checks.append(Check("Shopify scopes", True, ", ".join(sorted(shopify_scopes.REQUIRED))))
    for scope, why in shopify_scopes.OPTIONAL.items():
        if scope not in granted:
            checks.append(Check("Shopify scopes", True, f"without {scope} the bot cannot {why}", warning=True))
    return checks


def check_carrier(settings: Settings, _timeout: float) -> list[Check]:
    """Each carrier in use: its settings (the same rule the start applies), then the carrier itself: the key is
    accepted and the service ids exist (`Carrier.check`, which names the setting to fix)."""
    if settings.carrier_problem:
        return [Check("carrier", False, settings.carrier_problem)]
    checks = []
    for name in settings.carriers_in_use:
        if name == "local":
            checks.append(Check("carrier", True, "local: labels made by the bot, tracking numbers from the database"))
            continue
        adapter = carrier(settings, None, name)
        try:
            problems = adapter.check()
        finally:
            close = getattr(adapter, "close", None)
            if callable(close):
                close()
        where = ", ".join(f"{c}→{n}" for c, n in settings.carrier_by_country.items() if n == name)
        used = f" (default{', ' + where if where else ''})" if name == settings.CARRIER else f" ({where})"
        if problems:
            checks += [Check(f"carrier {name}", False, problem) for problem in problems]
        else:
            checks.append(Check(f"carrier {name}", True, f"{adapter.title} accepts the key and the services{used}"))
    return checks


def check_mail(settings: Settings, timeout: float) -> Check:
    if not settings.SMTP_URL:
        outbox = settings.OUTBOX_DIR
        try:
            outbox.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=outbox, prefix=".doctor-"):
                pass
        except OSError as exc:
            return Check("e-mail", False, f"cannot write to OUTBOX_DIR {outbox} ({exc.strerror})")
        return Check("e-mail", True, f"no SMTP_URL: e-mails are written to {outbox}/ as .eml files")
    parts = urlsplit(settings.SMTP_URL)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        return Check("e-mail", False, "SMTP_URL must look like smtp://user:pass@host:port (smtps:// for TLS)")
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        with smtp_class(parts.hostname, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if parts.scheme == "smtp" and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
    except (OSError, smtplib.SMTPException) as exc:
        return Check("e-mail", False, f"SMTP server {parts.hostname}:{port} failed ({first_line(exc)}): check SMTP_URL")
    return Check("e-mail", True, f"SMTP server {parts.hostname}:{port} accepts the bot")
