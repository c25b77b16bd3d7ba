"""The order card's part in replacements: its Replace button, and what the order's tags say of replacements
("replacement for #1001" on a replacement, "replaced by #1030" on its original). The card itself is bot.orders.card;
this module keeps replacements' blocks out of it."""

from __future__ import annotations

from typing import Any

from bot.common.blocks import escape, plain, section
from bot.common.ids import ActionId, BlockId
from commands.replacements import can_replace
from domain.orders import Order
from domain.replacements import replaced_by, replacement_of


def replace_button(order: Order) -> list[dict[str, Any]]:
    """The Replace button, when the order can have a replacement (paid, not cancelled, not one itself)."""
    if not can_replace(order):
        return []
    return [{"type": "button", "action_id": ActionId.REPLACE_OPEN, "value": order.ref.id, "text": plain("Replace", 75)}]


def replacements_block(order: Order) -> dict[str, Any] | None:
    original = replacement_of(order.tags)
    if original:
        return section(f"🔁 *Replacement for #{escape(original)}* — sent at no cost", BlockId.ORDER_REPLACEMENTS)
    made = replaced_by(order.tags)
    if made:
        names = ", ".join(f"#{escape(n)}" for n in made)
        return section(f"🔁 *Replacements sent:* {names}", BlockId.ORDER_REPLACEMENTS)
    return None
