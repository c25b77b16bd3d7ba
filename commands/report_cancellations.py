"""Why orders are cancelled: `returnbot report cancellations --from D --to D` (the figures; the CLI prints them).

Counted from the bot's own record of each cancellation it carried out (storage.cancellations), by the day it was
done (in TIMEZONE, as the sales report counts days; --from and --to as commands.report_sales.parse_period reads
them): the reasons chosen, how many orders each, and what was refunded with them (per currency: a shop may sell in
several). Cancellations made in the shop's admin without the bot are not the bot's to count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from commands.services import Services
from domain.cancellations import CancelReason
from domain.money import Money
from storage import cancellations as stored


@dataclass(frozen=True)
class ReasonFigures:
    reason: CancelReason
    orders: int
    refunded: dict[str, Money] = field(default_factory=dict)  # by currency
    no_refund: int = 0  # cancelled without refunding anything


@dataclass(frozen=True)
class CancellationReport:
    start: date
    end: date  # inclusive
    reasons: tuple[ReasonFigures, ...]  # most orders first

    @property
    def orders(self) -> int:
        return sum(r.orders for r in self.reasons)

    @property
    def refunded(self) -> dict[str, Money]:
        return _sum_by_currency(m for r in self.reasons for m in r.refunded.values())

    def table(self) -> str:
        """The figures as a plain-text table: reason, orders, share, refunded."""
        noun = "order" if self.orders == 1 else "orders"
        head = f"Cancellations {self.start.isoformat()} to {self.end.isoformat()}: {self.orders} {noun}"
        if not self.reasons:
            return head + "\n(none in this period)\n"
        rows = [("Reason", "Orders", "Share", "Refunded")]
        for r in self.reasons:
            share = f"{100 * r.orders / self.orders:.0f} %"
            rows.append((r.reason.words, str(r.orders), share, _money_text(r.refunded)))
        rows.append(("Total", str(self.orders), "100 %", _money_text(self.refunded)))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [head, ""]
        for index, row in enumerate(rows):
            lines.append(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}".rstrip())
            if index == 0 or index == len(rows) - 2:
                lines.append("-" * (sum(widths) + 6 + max(len(r[3]) for r in rows) - widths[3]))
        return "\n".join(lines) + "\n"


    def csv_text(self) -> str:
        """One row per reason and currency refunded in: reason, orders, orders without a refund, refunded."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["reason", "orders", "orders_without_refund", "refunded", "currency"])
        for r in self.reasons:
            amounts: list[Money | None] = [*r.refunded.values()] or [None]
            for m in amounts:
                writer.writerow([r.reason.value, r.orders, r.no_refund, "" if m is None else str(m.amount),
                                 "" if m is None else m.currency])  # fmt: skip
        return out.getvalue()


def cancellation_report(services: Services, start: date, end: date) -> CancellationReport:
    """The cancellations the bot finished from `start` to `end`, both days included (in TIMEZONE)."""
    zone = services.lifecycle.timezone
    since = datetime.combine(start, time(0), zone)
    until = datetime.combine(end + timedelta(days=1), time(0), zone)
    counts: dict[CancelReason, int] = {}
    money: dict[CancelReason, list[Money]] = {}
    unrefunded: dict[CancelReason, int] = {}
    for c in stored.done_between(services.db, since, until):
        counts[c.reason] = counts.get(c.reason, 0) + 1
        if c.refunded is not None and c.refunded.amount > 0:
            money.setdefault(c.reason, []).append(c.refunded)
        else:
            unrefunded[c.reason] = unrefunded.get(c.reason, 0) + 1
    figures = [
        ReasonFigures(reason, n, _sum_by_currency(money.get(reason, [])), unrefunded.get(reason, 0))
        for reason, n in counts.items()
    ]
    figures.sort(key=lambda f: (-f.orders, list(CancelReason).index(f.reason)))
    return CancellationReport(start, end, tuple(figures))


def _sum_by_currency(amounts: Iterable[Money]) -> dict[str, Money]:
    totals: dict[str, Decimal] = {}
    for m in amounts:
        totals[m.currency] = totals.get(m.currency, Decimal(0)) + m.amount
    return {cur: Money(amount, cur).quantized() for cur, amount in sorted(totals.items())}


def _money_text(by_currency: dict[str, Money]) -> str:
    return ", ".join(str(m) for m in by_currency.values()) or "—"
