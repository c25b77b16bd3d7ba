"""Several orders matched: a short list, each with a button that posts its card into the channel."""

from __future__ import annotations

from typing import Any

from bot.common.blocks import context, escape, plain, section
from bot.common.ids import ActionId, BlockId, pick_block_id
from bot.orders.card import financial_label, fulfillment_label
from domain.orders import OrderSummary


def pick_list_text(description: str, count: int, more: bool, total: int | None = None, cap: int = 0) -> str:
    """`total`: how many match in all when there are more than the list shows, counted up to `cap`."""
    if not more:
        return f"{count} orders match {description}"
    if total is None or total <= count:
        return f"{count}+ orders match {description}"
    if cap and total >= cap:
        return f"{cap:,}+ orders match {description}; the {count} newest"
    return f"{total:,} orders match {description}; the {count} newest"


def pick_list(
    summaries: list[OrderSummary], description: str, *, more: bool, total: int | None = None, cap: int = 0
) -> list[dict[str, Any]]:
    header = f"*{pick_list_text(escape(description), len(summaries), more, total, cap)}* — newest first:"
    blocks: list[dict[str, Any]] = [section(header, BlockId.PICK_HEADER)]
    for index, s in enumerate(summaries):
        who = escape(s.customer_name or s.email or "no customer")
        if s.ship_to:  # the search matched the recipient of a gift, not the customer
            who += f" · ship-to: {escape(s.ship_to)}"
        status = (
            "✖️ Cancelled"
            if s.cancelled
            else f"{financial_label(s.financial_status)} · " + fulfillment_label(s.fulfillment_status)
        )
        blocks.append(
            {
                "type": "section",
                "block_id": pick_block_id(index),
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{escape(s.ref.name)}* · {who} · {s.created_at:%Y-%m-%d} · {s.total}\n{status}",
                },
                "accessory": {
                    "type": "button",
                    "action_id": ActionId.PICK_ORDER,
                    "text": plain(f"Show {s.ref.name}", 75),
                    "value": s.ref.id,
                },
            }
        )
    if more:
        blocks.append(
            context("More orders match: add the first name, the e-mail or the order number.", BlockId.PICK_MORE)
        )
    return blocks
