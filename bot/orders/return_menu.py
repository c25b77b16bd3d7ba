"""The order card's "Create return ⌄" control: a select whose options carry the order id."""

from __future__ import annotations

from typing import Any

from bot.common.blocks import plain
from bot.common.ids import ActionId, ReturnMenu


def return_menu(order_id: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": ActionId.RETURN_MENU,
        "placeholder": plain("Create return", 150),
        "options": [
            {"text": plain("Create return shipment", 75), "value": f"{ReturnMenu.EDIT}|{order_id}"},
            {"text": plain("Create return shipment (instant)", 75), "value": f"{ReturnMenu.INSTANT}|{order_id}"},
        ],
    }
