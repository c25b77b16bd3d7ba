"""`returnbot report …`: reports printed to the terminal (and, with --csv, written to a file).

    returnbot report sales --from 2026-11-01 --to 2026-11-30 [--csv FILE]
    returnbot report cancellations --from 2026-11-01 --to 2026-11-30 [--csv FILE]

Each report is a subcommand of its own here; the workflow behind it is in commands/ (commands.report_sales,
commands.report_cancellations).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.main.config import Settings
from bot.main.services import build_services
from commands import report_cancellations, report_sales
from commands.errors import UserError

EXIT_USAGE = 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="returnbot report", description="Reports on the store's orders.")
    sub = top.add_subparsers(dest="report", required=True)
    sales = sub.add_parser(
        "sales",
        help="orders, gross sales, refunds and net; replacements apart; returns by reason",
        description="Orders, gross sales, refunds and net for the days --from to --to (both included, in "
        "TIMEZONE), per currency. Replacements (tag `replacement`) are left out of the sales and counted apart, "
        "with their list value by reason; returns are counted by reason.",
    )
    sales.add_argument("--from", dest="start", required=True, help="the first day, YYYY-MM-DD")
    sales.add_argument("--to", dest="end", required=True, help="the last day, YYYY-MM-DD (included)")
    sales.add_argument("--csv", type=Path, help="also write the figures to this CSV file")
    sales.set_defaults(run=_sales)
    cancellations = sub.add_parser(
        "cancellations",
        help="why orders were cancelled: reasons, orders and refunded amounts",
        description="The orders the bot cancelled on the days --from to --to (both included, in TIMEZONE), by "
        "reason: how many, and what was refunded with them, per currency.",
    )
    cancellations.add_argument("--from", dest="start", required=True, help="the first day, YYYY-MM-DD")
    cancellations.add_argument("--to", dest="end", required=True, help="the last day, YYYY-MM-DD (included)")
    cancellations.add_argument("--csv", type=Path, help="also write the figures to this CSV file")
    cancellations.set_defaults(run=_cancellations)
    return top


def run_report(argv: Sequence[str], settings: Settings) -> int:
    try:
        args = parser().parse_args(list(argv))
    except SystemExit as exc:  # argparse has printed the usage
        return int(exc.code or 0) if exc.code != 2 else EXIT_USAGE
    return int(args.run(args, settings))


def _sales(args: argparse.Namespace, settings: Settings) -> int:
    try:
        start, end = report_sales.parse_period(args.start, args.end)
    except UserError as exc:
        print(f"report sales: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    services = build_services(settings)
    try:
        report = report_sales.sales_report(services, start, end)
    except UserError as exc:
        print(f"report sales: {exc.message}", file=sys.stderr)
        return 1
    finally:
        services.db.dispose()
    print("\n".join(report_sales.summary_lines(report)))
    if args.csv is not None:
        try:
            args.csv.write_text(report_sales.csv_text(report), encoding="utf-8", newline="")
        except OSError as exc:
            print(f"report sales: could not write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"Written to {args.csv}")
    return 0


def _cancellations(args: argparse.Namespace, settings: Settings) -> int:
    try:
        start, end = report_sales.parse_period(args.start, args.end)
    except UserError as exc:
        print(f"report cancellations: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    services = build_services(settings)
    try:
        report = report_cancellations.cancellation_report(services, start, end)
    finally:
        services.db.dispose()
    print(report.table(), end="")
    if args.csv is not None:
        try:
            args.csv.write_text(report.csv_text(), encoding="utf-8", newline="")
        except OSError as exc:
            print(f"report cancellations: could not write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"Written to {args.csv}")
    return 0
