"""Block Kit of the sales summary: the figures `returnbot report sales` prints, for a channel."""

from __future__ import annotations

from bot.common.blocks import Block, context, escape, plain, section
from commands.report_sales import SalesReport, reason_label, return_reason_label


def report_text(report: SalesReport) -> str:
    return f"Sales {report.start} – {report.end}: {sum(t.orders for t in report.totals.values())} orders"


def report_blocks(report: SalesReport, user: str) -> list[Block]:
    sales = [
        f"*{currency}*: {t.orders} orders · gross {t.gross:.2f} · refunds {t.refunds:.2f} · *net {t.net:.2f}*"
        + (f" · {t.cancelled} cancelled (left out)" if t.cancelled else "")
        for currency, t in sorted(report.totals.items())
    ] or ["_No orders in this period._"]
    replaced = [
        f"• {escape(reason_label(reason))}: {r.count} · list value {r.list_value:.2f} {currency}"
        for (reason, currency), r in sorted(report.replacements.items())
    ]
    units = sum(report.returns.values())
    returns = [
        f"• {escape(return_reason_label(reason))}: {n}"
        for reason, n in sorted(report.returns.items(), key=lambda item: (-item[1], item[0]))
    ]
    return [
        {"type": "header", "text": plain(f"Sales {report.start} – {report.end}", 150)},
        section("\n".join(sales)),
        section(f"*Replacements* (left out of the sales): {report.replacement_count}\n" + "\n".join(replaced)),
        section(f"*Returns*: {report.return_cases} cases, {units} units\n" + "\n".join(returns)),
        context(f"{escape(report.store)} · {report.rows} orders read · asked by <@{user}>"),
    ]
