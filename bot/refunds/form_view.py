"""Block Kit of the refund modal: the order's refundable lines, shipping, restock, the total, an amount of one's
own, the reason, a note and the customer notification. A pure function of what the store said and the form."""

from __future__ import annotations

from decimal import Decimal

from bot.common.blocks import Block, escape, option, plain, quantity_input, section, text_input
from bot.common.ids import ActionId, BlockId, CallbackId, refund_line_block_id
from bot.refunds.form import RefundFormMeta, shown_lines
from bot.refunds.messages import open_requests_text
from commands.refund_form import REASONS, RefundForm
from commands.refunds import RefundOptions
from domain.money import Money
from domain.refunds import RefundableLine


def refund_modal(
    opened: RefundOptions, form: RefundForm, total: Money | None, meta: RefundFormMeta, *, auto_limit: Decimal
) -> Block:
    """The form; `total` is the store's total for the current choices (None: nothing chosen yet)."""
    quote = opened.quote
    lines = shown_lines(opened, meta.line_ids)  # the lines the metadata names, in its order
    blocks: list[Block] = [section(_intro(opened, bool(lines)), BlockId.F_INTRO)]
    for index, line in enumerate(lines):
        blocks.append(_line_input(index, line, form.quantities.get(line.line_item_id, 0)))
    blocks.append(
        _text_input(
            BlockId.F_SHIPPING,
            f"Shipping to refund (up to {quote.shipping_refundable})",
            _plain_amount(form.shipping),
            action_id=ActionId.REFUND_RECALC,
            dispatch=True,
            hint="Press Enter to update the total.",
        )
    )
    restock = option("yes", "Restock: shipped items go back to stock, unshipped ones are released")
    restock_element: Block = {"type": "checkboxes", "action_id": ActionId.REFUND_RECALC, "options": [restock]}
    if form.restock:
        restock_element["initial_options"] = [restock]
    blocks.append(
        {
            "type": "input",
            "block_id": BlockId.F_RESTOCK,
            "optional": True,
            "dispatch_action": True,
            "label": plain("Stock", 2000),
            "element": restock_element,
        }
    )
    blocks.append(section(_total_text(total, quote.maximum, auto_limit), BlockId.F_TOTAL))
    blocks.append(
        _text_input(
            BlockId.F_AMOUNT,
            "Refund a different amount, or an amount on its own",
            "" if form.amount is None else _plain_amount(form.amount),
            optional=True,
            hint=f"Leave empty to refund the total. With no items and no shipping chosen, this amount is refunded "
            f"on its own (goodwill, a price adjustment). At most {quote.maximum}.",
        )
    )
    blocks.append(_reason_input(form.reason))
    blocks.append(
        _text_input(
            BlockId.F_NOTE,
            "Note (the team lead sees it; Shopify keeps it with the refund)",
            form.note,
            optional=True,
            multiline=True,
        )
    )
    if opened.can_notify:  # else the store cannot notify the customer: no promise in the form
        blocks.append(_notify_input(form.notify_customer))
    return {
        "type": "modal",
        "callback_id": CallbackId.REFUND_MODAL,
        "title": plain(f"Refund {opened.order.name}", 24),
        "submit": plain("Request refund", 24),
        "close": plain("Cancel", 24),
        "private_metadata": meta.to_json(),
        "blocks": blocks,
    }


def _intro(opened: RefundOptions, has_lines: bool) -> str:
    order = opened.order
    who = escape(order.customer_name or order.email) or "the customer"
    text = (
        f"*Refund order {escape(order.name)}* to {who}. Choose the items and shipping to refund, "
        "or type an amount to refund on its own."
    )
    if opened.from_return:
        text += f"\nThe items of return *{escape(opened.from_return)}* are filled in."
    if not has_lines:
        text += "\nNo item can be refunded any more; shipping or an amount still can."
    if opened.open_requests:
        text += (
            "\n" + open_requests_text(opened.open_requests)
            + "\nThe form offers only what is left once they are refunded."
        )  # fmt: skip
    return text


def _line_input(index: int, line: RefundableLine, chosen: int) -> Block:
    most = line.refundable_quantity
    chosen = min(max(chosen, 0), most)
    shipped_note = "" if line.fulfilled_quantity else " · not shipped"
    element = quantity_input(ActionId.REFUND_QUANTITY, most, chosen, dispatch_on_enter=True)
    return {
        "type": "input",
        "block_id": refund_line_block_id(index),
        "dispatch_action": True,
        # the whole name (a plain-text label holds 2,000 characters; a product name in Shopify at most 255)
        "label": plain(f"{line.name} — {line.unit_refund} each{shipped_note}", 2000),
        "element": element,
    }


def _reason_input(chosen: str) -> Block:
    reasons = [option(key, label) for key, label in REASONS.items()]
    element: Block = {
        "type": "static_select",
        "action_id": ActionId.REFUND_FIELD,
        "options": reasons,
        "placeholder": plain("Why is the money going back?", 150),
    }
    if chosen in REASONS:  # otherwise the agent chooses: a guessed reason would mislead the team lead
        element["initial_option"] = next(o for o in reasons if o["value"] == chosen)
    return {"type": "input", "block_id": BlockId.F_REASON, "label": plain("Reason", 2000), "element": element}


def _notify_input(chosen: bool) -> Block:
    notify = option("yes", "Send the customer Shopify's refund notification")
    element: Block = {"type": "checkboxes", "action_id": ActionId.REFUND_FIELD, "options": [notify]}
    if chosen:
        element["initial_options"] = [notify]
    return {
        "type": "input",
        "block_id": BlockId.F_NOTIFY,
        "optional": True,
        "label": plain("Customer", 2000),
        "element": element,
    }


def _total_text(total: Money | None, maximum: Money, auto_limit: Decimal) -> str:
    shown = f"*Total to refund: {escape(str(total))}*" if total is not None else "*Total to refund:* _choose items_"
    approval = (
        f"Refunds are made at once while they add up to at most {Money(auto_limit, maximum.currency)} on this "
        "order; beyond that a team lead approves them first."
        if auto_limit > 0
        else "A team lead approves every refund before it is made."
    )
    return f"{shown}  (at most {escape(str(maximum))} can still be refunded)\n{approval}"





def _plain_amount(value: Decimal) -> str:
    return "" if value == 0 else format(value, "f")


def _text_input(
    block_id: str, label: str, value: str, *, multiline: bool = False, action_id: str = ActionId.REFUND_FIELD,
    optional: bool = False, hint: str = "", dispatch: bool = False,
) -> Block:  # fmt: skip
    # an amount is short; a note may say a little more
    return text_input(
        block_id, label, value, action_id=action_id, multiline=multiline, max_length=500 if multiline else 40,
        optional=optional, hint=hint, dispatch=dispatch,
    )  # fmt: skip
