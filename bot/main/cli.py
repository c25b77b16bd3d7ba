"""`returnbot …`: run the bot, the terminal client, imports and migrations.

Only the standard library is imported up front: `returnbot --help` (and a mistyped command) answers at once. The
configuration, the services and each command's own modules are imported when that command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.main.config import Settings

EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    from bot.main.config import ConfigError, load_settings
    from bot.main.services import StartupError

    try:
        settings = load_settings()
        return int(args.handler(args, settings) or 0)
    except ConfigError as exc:
        # doctor marks its lines; everywhere else a problem is one plain line
        mark = "✗ " if args.command == "doctor" else ""
        for problem in exc.problems:
            print(f"{mark}configuration: {problem}", file=sys.stderr)
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

    run = sub.add_parser(
        "run",
        help="connect to Slack (Socket Mode, or --http)",
        description="Connect the bot to Slack and answer it until stopped (Ctrl-C or SIGTERM). Socket Mode by "
        "default: needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN. With --http, Slack's requests are served at "
        "POST /slack/events and a load balancer's health check at GET /healthz: needs SLACK_BOT_TOKEN and "
        "SLACK_SIGNING_SECRET. Several instances may share one database.",
    )
    run.add_argument("--http", action="store_true", help="HTTP mode: POST /slack/events, GET /healthz")
    run.add_argument("--port", type=int, default=3000, help="HTTP mode: the port to listen on (default: 3000)")
    run.add_argument(
        "--host",
        default="0.0.0.0",
        help="HTTP mode: the address to listen on (default: 0.0.0.0, every interface; 127.0.0.1 behind a proxy "
        "on the same machine)",
    )
    run.set_defaults(handler=_run)

    shell = sub.add_parser(
        "shell",
        help="a Slack stand-in in the terminal, no workspace needed",
        description="Use the bot from the terminal, with no Slack workspace or tokens: type /order #1001, "
        "press a button by its number, `as lead` to approve refunds, `help` for the rest. Works on the "
        "configured database (by default ./returnbot.db, seeded with demo orders).",
    )
    shell.set_defaults(handler=_shell)

    doctor = sub.add_parser(
        "doctor",
        help="check configuration, database, Slack, Shopify, carrier and e-mail",
        description="Check the configuration and every part it names (database, Slack, Shopify, carrier, "
        "e-mail): one line each, ✓ or ✗ with what to fix. Exit status 0 when every check passes.",
    )
    doctor.set_defaults(handler=_doctor)

    imp = sub.add_parser(
        "import-orders",
        help="load a Shopify orders export (CSV) into the local store",
        description="Load a Shopify orders export (Orders → Export, CSV) into the local store (STORE=local).",
    )
    imp.add_argument("file", type=Path, help="the exported CSV file")
    imp.set_defaults(handler=_import_orders)

    audit = sub.add_parser(
        "audit",
        help="print an order's audit trail: who did what, oldest first",
        description="Print what happened to an order, oldest first: refunds (requested, approved, refunded) "
        "and returns with their labels. Exit status 1 when there is no such order.",
    )
    audit.add_argument("--order", required=True, help="the order's name or number: #1001 or 1001")
    audit.set_defaults(handler=_audit)

    tick = sub.add_parser(
        "tick",
        help="run one tick of the scheduler (reminders, escalations, expiry, digest, recovery) and exit",
        description="Run one tick of the scheduler, as `returnbot run` does every TICK_SECONDS, and print what it "
        "did: for cron deployments, and to see what a given day brings. It posts to Slack like `run` (needs "
        "SLACK_BOT_TOKEN). Exit status 1 when something in the tick failed (it is logged).",
    )
    tick.add_argument(
        "--at", type=_moment, help="the tick's now, an ISO time such as 2026-12-15T09:30 (in TIMEZONE unless it "
        "names its offset); default: now",
    )  # fmt: skip
    tick.set_defaults(handler=_tick)

    scan = sub.add_parser(
        "carrier-scan",
        help="record a parcel scan for the local carrier (in_transit or delivered)",
        description="Record what a scanner at the warehouse would: the parcel with this tracking number is in "
        "transit, or delivered. The local carrier's tracking answers from these scans; the next tick moves the "
        "return on (delivered: received). Exit status 1 when no label has this tracking number.",
    )
    scan.add_argument("tracking", help="the tracking number on the label, e.g. RB123456785FI")
    scan.add_argument("status", choices=("in_transit", "delivered"), help="what the scan says")
    scan.set_defaults(handler=_carrier_scan)

    report = sub.add_parser(
        "report",
        help="reports: `report sales|cancellations --from 2026-11-01 --to 2026-11-30 [--csv FILE]`",
        description="Reports on the store's orders, for the days --from to --to (both included, in TIMEZONE).",
    )
    reports = report.add_subparsers(dest="report", required=True)
    sales = reports.add_parser(
        "sales",
        help="orders, gross sales, refunds and net; replacements apart; returns by reason",
        description="Orders, gross sales, refunds and net for the days --from to --to (both included, in "
        "TIMEZONE), per currency. Replacements (tag `replacement`) are left out of the sales and counted apart, "
        "with their list value by reason; returns are counted by reason.",
    )
    cancellations = reports.add_parser(
        "cancellations",
        help="why orders were cancelled: reasons, orders and refunded amounts",
        description="The orders the bot cancelled on the days --from to --to (both included, in TIMEZONE), by "
        "reason: how many, and what was refunded with them, per currency.",
    )
    for each in (sales, cancellations):
        each.add_argument("--from", dest="start", required=True, help="the first day, YYYY-MM-DD")
        each.add_argument("--to", dest="end", required=True, help="the last day, YYYY-MM-DD (included)")
        each.add_argument("--csv", type=Path, help="also write the figures to this CSV file")
        each.set_defaults(handler=_report)

    db = sub.add_parser(
        "db", help="database maintenance", description="Database maintenance: `db upgrade` applies migrations."
    )
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations (also done at every start)").set_defaults(handler=_db_upgrade)
    return parser


def _setup_logging(verbose: bool) -> None:
    import logging

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
    from bot.main.services import build_services

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
    from bot.main.services import bot_context, build_services
    from bot.shell.session import run_shell

    services = build_services(settings)
    worker = WorkerPool()
    try:
        return run_shell(bot_context(settings, services, worker), stdin=sys.stdin, stdout=sys.stdout)
    finally:
        worker.shutdown()
        services.db.dispose()


def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    import logging

    from bot.main.doctor import run_checks

    if not args.verbose:
        # a failed Slack check says what failed on its own line; slack_sdk would add ERROR lines of its own
        logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)

    print("✓ configuration: every value is valid")
    failed = False
    for check in run_checks(settings):
        print(check.line(), flush=True)
        failed |= not check.ok
    return 1 if failed else 0


def _import_orders(args: argparse.Namespace, settings: Settings) -> int:
    from bot.main.services import open_database
    from integrations.local_store.importer import ImportFailed, import_orders

    if not args.file.is_file():
        print(f"import-orders: no such file: {args.file}", file=sys.stderr)
        return 1
    db = open_database(settings)
    progress = _progress_printer(args.file.stat().st_size) if sys.stderr.isatty() else None
    try:
        summary = import_orders(db, args.file, progress=progress, region=settings.SHOP_COUNTRY)
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


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.main.report_cli import run_report

    return run_report(args.report, args.start, args.end, args.csv, settings)


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from bot.main.audit_cli import run_audit

    return run_audit(args.order, settings)


def _moment(text: str) -> datetime:
    """An ISO time for `tick --at`; one without an offset is read in TIMEZONE when the command runs."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time such as 2026-12-15T09:30") from None


def _tick(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import make_client
    from bot.common.worker import WorkerPool
    from bot.main.scheduler import Ticker, slack_notifier
    from bot.main.services import build_services
    from commands.services import MovableClock

    if not settings.SLACK_BOT_TOKEN:
        print("returnbot tick posts to Slack: SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)", file=sys.stderr)
        return EXIT_CONFIG
    services = build_services(settings)
    if args.at is not None:
        at = args.at if args.at.tzinfo is not None else args.at.replace(tzinfo=settings.timezone)
        services.clock = MovableClock(at.astimezone(UTC))  # everything the tick says is dated then
    worker = WorkerPool()
    try:
        client = make_client(settings.SLACK_BOT_TOKEN, settings.slack_api_url)
        notifier = slack_notifier(settings, services, client, worker)
        report = Ticker(services, notifier, seconds=settings.TICK_SECONDS).run_once()
    finally:
        worker.shutdown()
        services.db.dispose()
    print(f"tick at {services.clock().isoformat(timespec='seconds')}: {report}")
    return 1 if report.errors else 0


def _carrier_scan(args: argparse.Namespace, settings: Settings) -> int:
    from bot.main.services import open_database
    from domain.vocabulary import LabelStatus
    from integrations.labels import tracking
    from storage import carrier_scans

    number = tracking.normalize(args.tracking)
    db = open_database(settings)
    try:
        known = carrier_scans.record(db, number, LabelStatus(args.status), at=datetime.now(UTC))
    finally:
        db.dispose()
    if not known:
        print(f"carrier-scan: recorded, but no label has the tracking number {number}", file=sys.stderr)
        return 1
    print(f"{number}: {args.status.replace('_', ' ')} (the next tick moves its return on)")
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    from bot.main.services import open_database

    db = open_database(settings)
    db.dispose()
    print("database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
