"""The order card's part of cancelling (bot.cancellations): the risk Shopify sees in an unfulfilled order, and the
Cancel order / Cancel as fraud buttons, shown only when the order can be cancelled. People decide: a HIGH risk only
offers the button, nothing is cancelled by itself.

It lives beside the card (bot.orders) so that bot.cancellations may use the card without a cycle."""

from __future__ import annotations

from bot.common.blocks import Block, plain, section
from bot.common.ids import ActionId, BlockId
from commands.cancellations import can_cancel
from domain.cancellations import RiskLevel
from domain.orders import FulfillmentStatus, Order

_RISK = {
    RiskLevel.HIGH: "🚨 *Fraud risk: high.* Shopify's assessment says this order is likely fraudulent: check it, and "
    "cancel it as fraud before it ships if you agree.",
    RiskLevel.MEDIUM: "⚠️ *Fraud risk: medium.* Shopify suggests looking into this order before it ships.",
    RiskLevel.LOW: "Fraud risk: low.",
    RiskLevel.PENDING: "Fraud risk: Shopify is still assessing this order.",
}


def risk_block(order: Order) -> Block | None:
    """The risk of an order not shipped yet (once shipped, a cancellation is no longer the answer)."""
    if order.risk_level is None or order.cancelled or order.fulfillment_status is not FulfillmentStatus.UNFULFILLED:
        return None
    text = _RISK.get(order.risk_level)
    return section(text, BlockId.ORDER_RISK) if text else None


def cancel_buttons(order: Order) -> list[Block]:
    if not can_cancel(order):
        return []
    buttons = [_button(ActionId.CANCEL_OPEN, "Cancel order", order)]
    if order.risk_level is RiskLevel.HIGH:
        buttons.append(_button(ActionId.CANCEL_FRAUD, "Cancel as fraud", order) | {"style": "danger"})
    return buttons


def _button(action: ActionId, label: str, order: Order) -> Block:
    return {"type": "button", "action_id": action, "value": order.ref.id, "text": plain(label, 75)}
