"""`returnbot …`: run the bot, the terminal client, imports and migrations."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.main.config import ConfigError, Settings, load_settings
from bot.main.services import StartupError, build_services, open_database

EXIT_CONFIG = 2
EXIT_USAGE = 2  # as argparse exits on a bad command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        settings = load_settings()
        return int(args.handler(args, settings) or 0)
    except ConfigError as exc:
        if args.command == "doctor":
            print("✗ configuration:", file=sys.stderr)
        for problem in exc.problems:
            print(f"configuration: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except StartupError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="returnbot", description="Orders, returns and refunds from Slack.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="connect to Slack (Socket Mode, or --http)")
    run.add_argument("--http", action="store_true", help="HTTP mode: POST /slack/events, GET /healthz")
    run.add_argument("--port", type=int, default=3000)
    run.add_argument("--host", default="0.0.0.0")
    run.set_defaults(handler=_run)

    shell = sub.add_parser("shell", help="a Slack stand-in in the terminal, no workspace needed")
    shell.set_defaults(handler=_shell)

    doctor = sub.add_parser("doctor", help="check configuration, database, Slack, Shopify and e-mail")
    doctor.set_defaults(handler=_doctor)

    imp = sub.add_parser("import-orders", help="load a Shopify orders export (CSV) into the local store")
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=_import_orders)

    audit = sub.add_parser("audit", help="print an order's audit trail: who did what, oldest first")
    audit.add_argument("--order", required=True, help="the order's name or number: #1001 or 1001")
    audit.set_defaults(handler=_audit)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations (also done at every start)").set_defaults(handler=_db_upgrade)
    return parser


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Bolt logs whole request bodies (customer data) on some failures: keep it to warnings
    for noisy in ("slack_bolt", "slack_sdk", "urllib3", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    missing = _missing_for_run(settings, http=args.http)
    if missing:
        print("returnbot run cannot connect to Slack yet:", file=sys.stderr)
        for line in missing:
            print(f"  - {line}", file=sys.stderr)
        print("To try the bot without a Slack workspace: returnbot shell", file=sys.stderr)
        return EXIT_CONFIG
    from bot.main.runtime import serve_http, serve_socket_mode

    services = build_services(settings)
    if args.http:
        return serve_http(settings, services, host=args.host, port=args.port, on_ready=_announce)
    return serve_socket_mode(settings, services, on_ready=_announce)


def _missing_for_run(settings: Settings, *, http: bool) -> list[str]:
    missing = []
    if not settings.SLACK_BOT_TOKEN:
        missing.append("SLACK_BOT_TOKEN is not set (the bot token, xoxb-…, from OAuth & Permissions)")
    if http and not settings.SLACK_SIGNING_SECRET:
        missing.append("SLACK_SIGNING_SECRET is not set (Basic Information → App Credentials); HTTP mode needs it")
    if not http and not settings.SLACK_APP_TOKEN:
        missing.append(
            "SLACK_APP_TOKEN is not set (an app-level token, xapp-…, with connections:write) for Socket Mode; "
            "or run with --http and SLACK_SIGNING_SECRET"
        )
    return missing


def _announce(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _shell(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.common.worker import WorkerPool
    from bot.main.services import bot_context
    from bot.shell.session import run_shell

    services = build_services(settings)
    worker = WorkerPool()
    try:
        return run_shell(bot_context(settings, services, worker), stdin=sys.stdin, stdout=sys.stdout)
    finally:
        worker.shutdown()
        services.db.dispose()


def _doctor(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.main.doctor import run_checks

    print("✓ configuration: every value is valid")
    failed = False
    for check in run_checks(settings):
        print(check.line(), flush=True)
        failed |= not check.ok
    return 1 if failed else 0


def _import_orders(args: argparse.Namespace, settings: Settings) -> int:
    from integrations.local_store.importer import ImportFailed, import_orders

    if not args.file.is_file():
        print(f"import-orders: no such file: {args.file}", file=sys.stderr)
        return 1
    db = open_database(settings)
    progress = _progress_printer(args.file.stat().st_size) if sys.stderr.isatty() else None
    try:
        summary = import_orders(db, args.file, progress=progress)
    except ImportFailed as exc:
        print(f"\nimport-orders: nothing was imported. {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    if progress:
        print(file=sys.stderr)
    print(summary.describe())
    return 0


def _progress_printer(total_bytes: int) -> Callable[[int, int | None], None]:
    def show(rows: int, done_bytes: int | None) -> None:
        share = f" ({100 * done_bytes // max(total_bytes, 1)}%)" if done_bytes is not None else ""
        print(f"\r{rows:,} rows read{share}", end="", file=sys.stderr, flush=True)

    return show


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from storage.audit import events_for_order

    order_name = order_name_of(args.order)
    if not order_name:
        print("audit: --order needs an order name or number, like #1001", file=sys.stderr)
        return EXIT_USAGE
    db = open_database(settings)
    try:
        with db.session() as session:
            lines = [
                audit_line(e.at, e.actor, e.action, e.subject, e.details) for e in events_for_order(session, order_name)
            ]
    finally:
        db.dispose()
    print("\n".join(lines) if lines else f"No audit events for {order_name}.")
    return 0


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


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    db = open_database(settings)
    db.dispose()
    print("database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
