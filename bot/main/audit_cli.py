"""`returnbot audit --order #1001`: an order's audit trail, one event a line, oldest first."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from bot.main.config import Settings
from bot.main.services import open_database, shopify_store
from domain.orders import OrderQuery, SearchKind
from domain.store import Store, StoreError
from integrations.local_store.store import LocalStore
from storage.audit import order_trail
from storage.db import Database

EXIT_USAGE = 2  # as argparse exits on a bad command line


def run_audit(order: str, settings: Settings) -> int:
    """Print the trail of `order` (`#1001` or `1001`); 1 when the store has no such order."""
    order_name = order_name_of(order)
    if not order_name:
        print("audit: --order needs an order name or number, like #1001", file=sys.stderr)
        return EXIT_USAGE
    db = open_database(settings)
    try:
        with db.session() as session:
            events = order_trail(session, order_name)
        known = bool(events) or _order_exists(settings, db, order_name)
    finally:
        db.dispose()
    if known is False:
        print(f"audit: there is no order {order_name} in the store (STORE={settings.STORE})", file=sys.stderr)
        return 1
    if not events:
        print(f"No audit events for {order_name}.")
        return 0
    who = actor_labels({e.actor for e in events}, settings)
    print("\n".join(audit_line(e.at, who.get(e.actor, e.actor), e.action, e.subject, e.details) for e in events))
    return 0


def _order_exists(settings: Settings, db: Database, order_name: str) -> bool | None:
    """Whether the store knows the order; None when it cannot tell (a name that is not a number, the
    store unreachable): the audit then says only that there are no events."""
    number = order_name.removeprefix("#")
    if not (number.isascii() and number.isdigit()):
        return None
    store: Store = shopify_store(settings) if settings.STORE == "shopify" else LocalStore(db)
    try:
        found = store.find_orders(OrderQuery(SearchKind.NUMBER, str(int(number))), 5)
    except StoreError as exc:
        print(f"audit: could not ask the store about {order_name}: {exc}", file=sys.stderr)
        return None
    return any(summary.ref.name == order_name for summary in found)


def actor_labels(actors: set[str], settings: Settings) -> dict[str, str]:
    """How each actor is shown: Slack users as `@name (U123)` when a bot token can look them up
    (users.info), else `user U123`; "system" and the unknown actor as they are."""
    users = sorted(a for a in actors if _SLACK_USER.fullmatch(a))
    labels = {user: f"user {user}" for user in users}
    if users and settings.SLACK_BOT_TOKEN:
        labels.update(_slack_names(users, settings))
    return labels


_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")


def _slack_names(users: list[str], settings: Settings) -> dict[str, str]:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)  # a user not found stays `user U…`
    client = WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.slack_api_url, timeout=10)
    names = {}
    for user in users:
        try:
            name = (client.users_info(user=user).get("user") or {}).get("name")
        except (SlackApiError, OSError):
            continue
        if name:
            names[user] = f"@{name} ({user})"
    return names


def order_name_of(text: str) -> str:
    """`1001` and `#1001` both mean the order named #1001; other names are taken as written ("" when empty)."""
    name = text.strip()
    return f"#{name}" if name.isascii() and name.isdigit() else ("" if name == "#" else name)


# details shown in words, in this order; the rest follow as `key value`
_DETAIL_LABELS = {"attempt": "attempt", "reason": "reason", "failure": "failure", "store_refund_id": "store refund"}
_NOT_SHOWN = ("order", "amount", "currency")  # the order is the one asked for; the amount comes first


def audit_line(at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]) -> str:
    """One event on one line: `2026-10-01 10:00:00 UTC  U123  refund.approved  refund_request:1  12.50 EUR`."""
    when = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return "  ".join(part for part in (when, actor, action, subject, _details_text(details)) if part)


def _details_text(details: dict[str, Any]) -> str:
    parts = []
    if details.get("amount") is not None:
        parts.append(f"{details['amount']} {details.get('currency', '')}".strip())
    for key, label in _DETAIL_LABELS.items():
        if key in details:
            parts.append(f"{label} {_value(details[key])}")
    rest = sorted(k for k in details if k not in _DETAIL_LABELS and k not in _NOT_SHOWN)
    parts.extend(f"{key.replace('_', ' ')} {_value(details[key])}" for key in rest)
    return ", ".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        # one event, one line: a failure message may span lines
        return " ".join(value.split()) or '""'
    if value is None:
        return "-"
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else str(value)
