"""Block Kit of the replacement modal: per line how many to send again and, optionally, another variant (an
external select fed by the store as the agent types); the reason, the ship-to address (prefilled, editable), the
shipping title, a note and the customer notification. A pure function of the options and the form."""

from __future__ import annotations

from decimal import Decimal

from bot.common.blocks import Block, escape, option, plain, quantity_input, section, text_input
from bot.common.ids import ActionId, BlockId, CallbackId, replace_line_block_id
from bot.replacements.form import ReplaceFormMeta
from commands.replacement_form import MAX_NOTE, MAX_SHIPPING_TITLE, REASONS
from commands.replacements import ReplacementOptions
from domain.money import Money
from domain.orders import LineItem
from domain.replacements import Variant

TITLE = "Replacement"


def replacement_modal(opened: ReplacementOptions, meta: ReplaceFormMeta, *, auto_limit: Decimal) -> Block:
    form = opened.form
    blocks: list[Block] = [section(_intro(opened, auto_limit), BlockId.P_INTRO)]
    for index, line in enumerate(opened.lines):
        blocks += _line_inputs(index, line, form.quantities.get(line.id, 0))
    reasons = [option(value, label) for value, label in REASONS.items()]
    reason: Block = {"type": "static_select", "action_id": ActionId.REPLACE_FIELD, "options": reasons,
                     "placeholder": plain("Why is it sent again?", 150)}  # fmt: skip
    if form.reason in REASONS:
        reason["initial_option"] = option(form.reason, REASONS[form.reason])
    blocks.append({"type": "input", "block_id": BlockId.P_REASON, "label": plain("Reason", 2000), "element": reason})
    a = form.address
    blocks += [
        _input(BlockId.P_NAME, "Ship to: name", a.name, max_length=255),
        _input(BlockId.P_ADDRESS1, "Street address", a.address1, max_length=255),
        _input(BlockId.P_ADDRESS2, "Address line 2", a.address2, optional=True, max_length=255),
        _input(BlockId.P_ZIP, "Postcode", a.zip, max_length=32),
        _input(BlockId.P_CITY, "Town or city", a.city, max_length=255),
        _input(BlockId.P_COUNTRY, "Country code", a.country, max_length=2, hint="Two letters, like FI, SE or DK."),
        _input(BlockId.P_PHONE, "Phone (for the carrier)", a.phone, optional=True, max_length=64),
        _input(BlockId.P_SHIPPING_TITLE, "Shipping title (the customer sees it; charged 0.00)", form.shipping_title,
               max_length=MAX_SHIPPING_TITLE),
        _input(BlockId.P_NOTE, "Note (kept on the new order; the team lead sees it)", form.note, optional=True,
               multiline=True, max_length=MAX_NOTE),
    ]  # fmt: skip
    if opened.can_notify:  # else no promise in the form: the local store has no mail of its own
        notify = option("yes", "Notify the customer")
        element: Block = {"type": "checkboxes", "action_id": ActionId.REPLACE_FIELD, "options": [notify]}
        if form.notify_customer:
            element["initial_options"] = [notify]
        blocks.append({"type": "input", "block_id": BlockId.P_NOTIFY, "optional": True,
                       "label": plain("Customer", 2000), "element": element})  # fmt: skip
    return {
        "type": "modal",
        "callback_id": CallbackId.REPLACE_MODAL,
        "title": plain(f"Replace {opened.order.name}", 24),
        "submit": plain("Send replacement", 24),
        "close": plain("Cancel", 24),
        "private_metadata": meta.to_json(),
        "blocks": blocks,
    }


def variant_option(variant: Variant) -> Block:
    """One option of the variant picker: the title, SKU, list price and stock, within Slack's 75 characters."""
    stock = "" if variant.available is None else (" · out of stock" if variant.available <= 0 else
                                                   f" · {variant.available} in stock")  # fmt: skip
    sku = f" · {variant.sku}" if variant.sku else ""
    tail = f"{sku} · {variant.price}{stock}"
    title = variant.title if len(variant.title) + len(tail) <= 75 else variant.title[: max(10, 74 - len(tail))] + "…"
    return option(variant.id, f"{title}{tail}")


def _intro(opened: ReplacementOptions, auto_limit: Decimal) -> str:
    order = opened.order
    who = escape(order.customer_name or order.email) or "_no customer name_"
    limit = (
        f"Worth up to {Money(auto_limit, order.currency)} at list price, it is sent at once; above that a team lead "
        "approves it first."
        if auto_limit > 0
        else "A team lead approves every replacement before it is sent."
    )
    return (
        f"*Send items of {escape(order.name)} again at no cost* — {who}\n"
        f"A new order totalling 0.00 is made and tagged `replacement` (left out of sales), and {escape(order.name)} "
        f"gets a note of it. {limit}"
    )


def _line_inputs(index: int, line: LineItem, chosen: int) -> list[Block]:
    label = f"{line.name} — ordered {line.quantity} × {line.unit_price}"
    quantity: Block = {
        "type": "input",
        "block_id": replace_line_block_id(index, "quantity"),
        "label": plain(label, 2000),
        "element": quantity_input(ActionId.REPLACE_QUANTITY, line.quantity, chosen),
    }
    variant: Block = {
        "type": "input",
        "block_id": replace_line_block_id(index, "variant"),
        "optional": True,
        "label": plain("Instead send", 2000),
        "hint": plain("Empty: the same item again.", 2000),
        "element": {
            "type": "external_select",
            "action_id": ActionId.REPLACE_VARIANT,
            "min_query_length": 0,
            "placeholder": plain("Type a product name or SKU", 150),
        },
    }
    return [quantity, variant]


def _input(
    block_id: str, label: str, value: str, *, optional: bool = False, multiline: bool = False, max_length: int,
    hint: str = "",
) -> Block:  # fmt: skip
    return text_input(
        block_id, label, value, action_id=ActionId.REPLACE_FIELD, optional=optional, multiline=multiline,
        max_length=max_length, hint=hint,
    )  # fmt: skip
