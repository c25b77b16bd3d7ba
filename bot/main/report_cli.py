"""`returnbot report sales|cancellations --from … --to … [--csv FILE]`: a report printed to the terminal and,
with --csv, written to a file. The arguments are parsed in cli.py (cheap); the work behind each report is in
commands/ (commands.report_sales, commands.report_cancellations)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bot.main.config import Settings
from bot.main.services import build_services
from commands import report_cancellations, report_sales
from commands.errors import UserError
from commands.services import Services

EXIT_USAGE = 2

# a report: its text for the terminal and its CSV, for the days given
Report = Callable[[Services, date, date], tuple[str, str]]


def _sales(services: Services, start: date, end: date) -> tuple[str, str]:
    report = report_sales.sales_report(services, start, end)
    return "\n".join(report_sales.summary_lines(report)) + "\n", report_sales.csv_text(report)


def _cancellations(services: Services, start: date, end: date) -> tuple[str, str]:
    report = report_cancellations.cancellation_report(services, start, end)
    return report.table(), report.csv_text()


REPORTS: dict[str, Report] = {"sales": _sales, "cancellations": _cancellations}


def run_report(name: str, start_text: str, end_text: str, csv: Path | None, settings: Settings) -> int:
    try:
        start, end = report_sales.parse_period(start_text, end_text)
    except UserError as exc:
        print(f"report {name}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    services = build_services(settings)
    try:
        text, csv_text = REPORTS[name](services, start, end)
    except UserError as exc:
        print(f"report {name}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        services.db.dispose()
    print(text, end="")
    if csv is not None:
        try:
            csv.write_text(csv_text, encoding="utf-8", newline="")
        except OSError as exc:
            print(f"report {name}: could not write {csv}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"Written to {csv}")
    return 0
