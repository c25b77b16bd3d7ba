"""Every action, block and callback id the bot puts into Slack, in one place."""

from __future__ import annotations

import enum


class ActionId(enum.StrEnum):
    PICK_ORDER = "order_pick"


class BlockId(enum.StrEnum):
    ORDER_HEADER = "order_header"
    ORDER_FACTS = "order_facts"
    ORDER_ITEMS = "order_items"
    ORDER_SHIPPING = "order_shipping"
    ORDER_HISTORY = "order_history"
    ORDER_FOOTER = "order_footer"
    PICK_HEADER = "pick_header"
    PICK_MORE = "pick_more"


def pick_block_id(index: int) -> str:
    return f"pick_{index}"
