"""The order card: the message an order gets in the channel; its thread holds everything that follows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.common.blocks import FIELD_TEXT_MAX, clip, context, date, escape, link, plain, section
from bot.common.ids import ActionId, BlockId
from bot.orders.cancel_buttons import cancel_buttons, risk_block
from bot.orders.notes import note_section
from bot.orders.replacement_blocks import replace_button, replacements_block
from bot.orders.return_menu import return_menu
from commands.refunds import RefundRequestView, RefundStatus
from commands.returns import Case
from domain.money import Money
from domain.orders import FinancialStatus, FulfillmentStatus, Order

MAX_ITEM_LINES = 15

_FINANCIAL = {
    FinancialStatus.PENDING: "⏳ Payment pending",
    FinancialStatus.AUTHORIZED: "🔒 Authorized",
    FinancialStatus.PAID: "✅ Paid",
    FinancialStatus.PARTIALLY_PAID: "◐ Partially paid",
    FinancialStatus.PARTIALLY_REFUNDED: "↩️ Partially refunded",
    FinancialStatus.REFUNDED: "↩️ Refunded",
    FinancialStatus.VOIDED: "✖️ Voided",
    FinancialStatus.UNKNOWN: "❔ Unknown",
}
_FULFILLMENT = {
    FulfillmentStatus.UNFULFILLED: "📦 Unfulfilled",
    FulfillmentStatus.PARTIAL: "🚚 Partially fulfilled",
    FulfillmentStatus.FULFILLED: "🚚 Fulfilled",
    FulfillmentStatus.RESTOCKED: "↩️ Restocked",
    FulfillmentStatus.UNKNOWN: "❔ Unknown",
}


def financial_label(status: FinancialStatus) -> str:
    return _FINANCIAL[status]


def fulfillment_label(status: FulfillmentStatus) -> str:
    return _FULFILLMENT[status]


def order_card_text(order: Order) -> str:
    """Notification and screen-reader text for the card: mrkdwn too, so the customer's words are escaped."""
    who = order.customer_name or order.email or "no customer"
    return f"Order {escape(order.name)} — {escape(who)} — {order.total}"


def order_card(
    order: Order,
    *,
    requested_by: str | None = None,
    can_return: bool = False,
    can_refund: bool = False,
    cases: Sequence[Case] = (),
    open_refunds: Sequence[RefundRequestView] = (),
) -> list[dict[str, Any]]:
    """The card; `can_return` adds the "Create return" menu, `can_refund` the Refund button, `cases` lists the
    order's returns, `open_refunds` its refund requests not yet refunded (a second agent must see them)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": BlockId.ORDER_HEADER, "text": plain(_title(order), 150)},
        {"type": "section", "block_id": BlockId.ORDER_FACTS, "fields": _facts(order)},
    ]
    notes = note_section(order)
    if notes is not None:
        blocks.append(notes)
    blocks.append(section(_items(order), BlockId.ORDER_ITEMS))
    shipping = _shipping(order)
    if shipping:
        blocks.append(section(shipping, BlockId.ORDER_SHIPPING))
    history = _history(order, cases)
    if history:
        blocks.append(section(history, BlockId.ORDER_HISTORY))
    if open_refunds:
        blocks.append(section(open_refunds_text(open_refunds), BlockId.ORDER_REFUNDS_PENDING))
    replaced = replacements_block(order)  # "replacement for #1001" or "replaced by #1030"
    if replaced is not None:
        blocks.append(replaced)
    risk = risk_block(order)
    if risk is not None:
        blocks.append(risk)
    footer = f"Created {date(order.created_at)}"
    if requested_by:
        footer += f" · looked up by <@{requested_by}>"
    blocks.append(context(footer, BlockId.ORDER_FOOTER))
    actions = [return_menu(order.ref.id)] if can_return else []
    if can_refund:
        actions.append(
            {"type": "button", "action_id": ActionId.REFUND_OPEN, "value": order.ref.id, "text": plain("Refund", 75)}
        )
    actions += cancel_buttons(order)  # shown only when the order can be cancelled (bot.orders.cancel_buttons)
    actions += replace_button(order)  # shown only when the order can have a replacement
    if actions:
        blocks.append({"type": "actions", "block_id": BlockId.ORDER_ACTIONS, "elements": actions})
    return blocks


def _title(order: Order) -> str:
    title = f"Order {order.name}"
    return title + " — cancelled" if order.cancelled else title


def _field(label: str, value: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(f"*{label}*\n{value}", FIELD_TEXT_MAX)}


def _facts(order: Order) -> list[dict[str, Any]]:
    customer = escape(order.customer_name) or "_no name_"
    if order.email:
        customer += f"\n{escape(order.email)}"
    totals = f"{order.total}"
    if not order.refunded.is_zero():
        totals += f" (refunded {order.refunded})"
    fields = [
        _field("Customer", customer),
        _field("Date", date(order.created_at)),
        _field("Payment", financial_label(order.financial_status)),
        _field("Fulfillment", fulfillment_label(order.fulfillment_status)),
        _field("Total", totals),
    ]
    if order.shipping_method:
        fields.append(_field("Shipping", escape(order.shipping_method)))
    return fields


def _items(order: Order) -> str:
    # on a partly shipped order, the agent needs to see which items are still in the warehouse
    mark_unshipped = order.fulfillment_status == FulfillmentStatus.PARTIAL
    lines = [
        _item_line(li.quantity, li.name, li.sku, li.total)
        + (" · _not shipped yet_" if mark_unshipped and li.fulfillment_status != FulfillmentStatus.FULFILLED else "")
        for li in order.line_items[:MAX_ITEM_LINES]
    ]
    hidden = len(order.line_items) - MAX_ITEM_LINES
    if hidden > 0:
        lines.append(f"_…and {hidden} more items_")
    summary = [f"Subtotal {order.subtotal}"]
    if not order.shipping.is_zero():
        summary.append(f"shipping {order.shipping}")
    if not order.discounts.is_zero():
        summary.append(f"discounts −{order.discounts}")
    if not order.taxes.is_zero():
        # EU shops price with VAT included: then the taxes are part of the total, not added to it
        included = order.subtotal - order.discounts + order.shipping == order.total
        summary.append(f"incl. taxes {order.taxes}" if included else f"taxes {order.taxes}")
    return "*Items*\n" + "\n".join(lines or ["_no items_"]) + "\n" + " · ".join(summary)


def _item_line(quantity: int, name: str, sku: str, total: Money) -> str:
    sku_part = f" `{escape(sku)}`" if sku else ""
    return f"• {quantity} × {escape(name)}{sku_part} — {total}"


def _shipping(order: Order) -> str:
    parts: list[str] = []
    if not order.shipping_address.is_empty():
        parts.append("*Ship to*\n" + "\n".join(escape(line) for line in order.shipping_address.lines()))
    if order.fulfillments:
        tracking = [
            f"• {escape(f.tracking_company) or 'Carrier'}: {_tracking(f.tracking_number, f.tracking_url)}"
            for f in order.fulfillments
            if f.tracking_number
        ]
        if tracking:
            parts.append("*Tracking*\n" + "\n".join(tracking))
    return "\n\n".join(parts)


def _tracking(number: str, url: str) -> str:
    """The number as a link when the shop gave an http(s) URL, else as code; neither can carry markup."""
    linked = link(url, number) if url else ""
    return linked if linked.startswith("<") else f"`{escape(number)}`"


MAX_OPEN_REFUNDS = 5
_OPEN_STATUS = {
    RefundStatus.PENDING_APPROVAL: "waiting for a team lead",
    RefundStatus.APPROVED: "approved, refunding",
    RefundStatus.EXECUTING: "approved, refunding",
}


def open_refunds_text(requests: Sequence[RefundRequestView]) -> str:
    """The order's refund requests on their way (not in the refunded total yet): amount, who asked, when."""
    lines = [
        f"• #{r.id}: {escape(str(Money(r.amount, r.currency)))} requested by <@{r.requested_by}> "
        f"{date(r.created_at)} — {_OPEN_STATUS.get(r.status, r.status.value.replace('_', ' '))}"
        for r in requests[:MAX_OPEN_REFUNDS]
    ]
    if len(requests) > MAX_OPEN_REFUNDS:
        lines.append(f"_…and {len(requests) - MAX_OPEN_REFUNDS} more_")
    total = sum((Money(r.amount, r.currency) for r in requests[1:]), Money(requests[0].amount, requests[0].currency))
    return f"*Refunds requested, not yet made* ({escape(str(total))})\n" + "\n".join(lines)


def _history(order: Order, cases: Sequence[Case]) -> str:
    lines = [f"📦 Return {c.rma}: {c.status.replace('_', ' ')} ({c.created_at:%Y-%m-%d})" for c in cases]
    if order.cancelled_at:
        lines.append(f"✖️ Cancelled {date(order.cancelled_at)}")
    for t in order.transactions:
        if t.kind == "refund":
            when = f" {date(t.created_at)}" if t.created_at else ""
            lines.append(f"↩️ Refunded {t.amount}{when}")
    return "*History*\n" + "\n".join(lines) if lines else ""
