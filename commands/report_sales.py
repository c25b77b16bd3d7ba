"""`returnbot report sales` and `/report`: orders, gross sales, refunds and net for a period, with replacements
left out of the sales and counted apart (count and list value by reason), and returns by reason.

An order is read once, page by page from the store (the local store by keyset, Shopify through `orders(query:)`
paced against its cost bucket), and summed as it comes: memory does not grow with the period. Figures are per
currency (an export may mix them). Definitions, so the figures can be checked by hand:
- orders: the orders created in the period that are neither replacements (tag `replacement`) nor cancelled;
- gross sales: what those orders charged (their totals); refunds: what was refunded of them; net = gross − refunds;
- cancelled orders are counted apart and left out of the money;
- replacements: count and list value (the items at list price, before the 100 % discount) by reason, from the
  order's `replacement-reason-…` tag ("unknown" for one tagged by hand);
- returns: units by reason of the bot's return cases opened in the period (cancelled ones left out).
The period is whole days [from, to] in the shop's time zone (TIMEZONE).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from commands.errors import UserError
from commands.lookup import store_errors_as_user_errors
from commands.return_form import REASONS as RETURN_REASONS
from commands.services import Services
from domain.replacements import REASON_PREFIX, REPLACEMENT_TAG, ReplacementReason
from domain.sales import SalesOrder
from storage.report_returns import returns_by_reason

MAX_DAYS = 366
UNKNOWN_REASON = "unknown"
_FORMULA_START = ("=", "+", "-", "@")


@dataclass
class Totals:
    orders: int = 0
    gross: Decimal = Decimal(0)
    refunds: Decimal = Decimal(0)
    cancelled: int = 0

    @property
    def net(self) -> Decimal:
        return self.gross - self.refunds


@dataclass
class ReplacementTotals:
    count: int = 0
    list_value: Decimal = Decimal(0)


@dataclass(frozen=True)
class SalesReport:
    start: date
    end: date  # inclusive
    store: str
    totals: dict[str, Totals]  # currency -> figures
    replacements: dict[tuple[str, str], ReplacementTotals]  # (reason, currency) -> count and list value
    returns: dict[str, int]  # return reason -> units
    return_cases: int
    rows: int  # orders read
    replacement_orders: list[tuple[str, str, str, Decimal]] = field(default_factory=list)  # name, reason, cur, value

    @property
    def replacement_count(self) -> int:
        return sum(r.count for r in self.replacements.values())


def parse_period(start_text: str, end_text: str) -> tuple[date, date]:
    """`--from` and `--to` as an agent types them (2026-11-01): whole days, the end included."""
    try:
        start, end = date.fromisoformat(start_text.strip()), date.fromisoformat(end_text.strip())
    except ValueError:
        raise UserError("Give the days as YYYY-MM-DD, like 2026-11-01.") from None
    if end < start:
        raise UserError(f"The period ends ({end}) before it starts ({start}).")
    if (end - start).days >= MAX_DAYS:
        raise UserError(f"A report covers at most {MAX_DAYS} days: split the period.")
    return start, end


def sales_report(services: Services, start: date, end: date) -> SalesReport:
    zone = services.lifecycle.timezone
    since = datetime.combine(start, time(0), zone)
    until = datetime.combine(end + timedelta(days=1), time(0), zone)
    totals: dict[str, Totals] = {}
    replacements: dict[tuple[str, str], ReplacementTotals] = {}
    listed: list[tuple[str, str, str, Decimal]] = []
    rows = 0
    for order in _orders(services, since, until):
        rows += 1
        if REPLACEMENT_TAG in order.tags:
            reason = _reason(order.tags)
            entry = replacements.setdefault((reason, order.currency), ReplacementTotals())
            entry.count += 1
            entry.list_value += order.list_value
            listed.append((order.name, reason, order.currency, order.list_value))
            continue
        figures = totals.setdefault(order.currency, Totals())
        if order.cancelled:
            figures.cancelled += 1
            continue
        figures.orders += 1
        figures.gross += order.total
        figures.refunds += order.refunded
    returned = returns_by_reason(services.db, services.store.kind, since, until)
    return SalesReport(
        start, end, services.store.name, totals, replacements, returned.units, returned.cases, rows, listed
    )


def _orders(services: Services, since: datetime, until: datetime) -> Iterator[SalesOrder]:
    cursor: str | None = None
    while True:
        with store_errors_as_user_errors():
            page = services.store.sales_page(since, until, cursor)
        yield from page.orders
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _reason(tags: tuple[str, ...]) -> str:
    for tag in tags:
        if tag.startswith(REASON_PREFIX):
            value = tag[len(REASON_PREFIX) :]
            if value in {r.value for r in ReplacementReason}:
                return value
    return UNKNOWN_REASON


def reason_label(reason: str) -> str:
    try:
        return ReplacementReason(reason).label
    except ValueError:
        return "Unknown (tagged by hand)"


def return_reason_label(reason: str) -> str:
    return RETURN_REASONS.get(reason, reason)


# -- as text and as CSV ------------------------------------------------------------------------------------------


def summary_lines(report: SalesReport) -> list[str]:
    """The report as plain lines: the CLI prints them; `/report` words them for Slack the same way."""
    lines = [f"Sales {report.start} – {report.end} ({report.store}), {report.rows} orders read"]
    if not report.totals:
        lines.append("  no orders in this period")
    for currency, t in sorted(report.totals.items()):
        lines.append(
            f"  {currency}: {t.orders} orders · gross {t.gross:.2f} · refunds {t.refunds:.2f} · net {t.net:.2f}"
            + (f" · {t.cancelled} cancelled (left out)" if t.cancelled else "")
        )
    lines.append(f"Replacements (left out of the sales): {report.replacement_count}")
    for (reason, currency), r in sorted(report.replacements.items()):
        lines.append(f"  {reason_label(reason)}: {r.count} · list value {r.list_value:.2f} {currency}")
    total_units = sum(report.returns.values())
    lines.append(f"Returns: {report.return_cases} cases, {total_units} units")
    for reason, units in sorted(report.returns.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"  {return_reason_label(reason)}: {units}")
    return lines


def csv_text(report: SalesReport) -> str:
    """The report as CSV: one row per figure, spreadsheet formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "currency", "count", "amount"])
    for currency, t in sorted(report.totals.items()):
        writer.writerow(_safe(["sales", "orders", currency, t.orders, ""]))
        writer.writerow(_safe(["sales", "gross", currency, "", f"{t.gross:.2f}"]))
        writer.writerow(_safe(["sales", "refunds", currency, "", f"{t.refunds:.2f}"]))
        writer.writerow(_safe(["sales", "net", currency, "", f"{t.net:.2f}"]))
        writer.writerow(_safe(["sales", "cancelled", currency, t.cancelled, ""]))
    for (reason, currency), r in sorted(report.replacements.items()):
        writer.writerow(_safe(["replacements", reason, currency, r.count, f"{r.list_value:.2f}"]))
    for name, reason, currency, value in report.replacement_orders:
        writer.writerow(_safe(["replacement_order", f"{name} ({reason})", currency, 1, f"{value:.2f}"]))
    for reason, units in sorted(report.returns.items()):
        writer.writerow(_safe(["returns", reason, "", units, ""]))
    return out.getvalue()


def neutralised(cell: object) -> str:
    """A cell a spreadsheet would run as a formula (= + - @, or a tab or return first) is prefixed with '."""
    text = str(cell)
    return "'" + text if text.startswith(_FORMULA_START) or text[:1] in ("\t", "\r") else text


def _safe(row: list[object]) -> list[str]:
    return [neutralised(cell) for cell in row]
