"""Block Kit for refunds: the refund modal, the approval message, the reject modal and the thread replies."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from bot.common.blocks import clip, context, escape, plain, section
from bot.common.ids import ActionId, BlockId, CallbackId, refund_line_block_id
from commands.refunds import REASONS, RefundForm
from domain.money import Money
from storage import refunds as states
from storage.refunds import RefundRequestView

MAX_MODAL_LINES = 20  # a quantity select each, within a modal's 100 blocks and its 3,000-character metadata
MAX_NAME_IN_METADATA = 40
REJECT_REASON_MAX = 500


def _option(value: str, label: str) -> dict:
    return {"text": plain(label, 75), "value": value}


# -- the refund modal ------------------------------------------------------------------------------


def refund_metadata(
    *,
    order_id: str,
    order_name: str,
    customer: str,
    channel: str,
    thread_ts: str,
    currency: str,
    maximum: Decimal,
    shipping: Decimal,
    rma: str,
    can_notify: bool,
    lines: list[tuple[str, int, str, int, Decimal]],
) -> dict[str, Any]:
    """What the modal carries between Slack and the bot: enough to check the form and to redraw it."""
    return {
        "o": order_id,
        "n": order_name,
        "w": customer[:60],
        "k": can_notify,
        "c": channel,
        "t": thread_ts,
        "cur": currency,
        "max": str(maximum),
        "sh": str(shipping),
        "r": rma,
        "l": [
            [lid, most, name[:MAX_NAME_IN_METADATA], shipped, str(unit)]
            for lid, most, name, shipped, unit in lines[:MAX_MODAL_LINES]
        ],
    }


def refund_modal(meta: dict[str, Any], form: RefundForm, total: Money | None, *, auto_limit: Decimal) -> dict:
    """The form; `total` is the store's total for the current choices (None: not computed yet)."""
    cur = meta["cur"]
    blocks: list[dict] = [section(_intro(meta), BlockId.F_INTRO)]
    for index, (line_id, most, name, shipped, unit) in enumerate(meta["l"]):
        options = [_option(str(n), f"{n} of {most}") for n in range(most + 1)]
        chosen = min(form.quantities.get(line_id, 0), most)
        shipped_note = "" if shipped else " · not shipped"
        blocks.append(
            {
                "type": "input",
                "block_id": refund_line_block_id(index),
                "dispatch_action": True,
                "label": plain(f"{name} — {Money(Decimal(unit), cur)} each{shipped_note}", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": ActionId.REFUND_QUANTITY,
                    "options": options,
                    "initial_option": options[chosen],
                },
            }
        )
    restock = _option("yes", "Restock: shipped items go back to stock, unshipped ones are released")
    restock_element: dict = {"type": "checkboxes", "action_id": ActionId.REFUND_RECALC, "options": [restock]}
    if form.restock:
        restock_element["initial_options"] = [restock]
    shipping_max = Money(Decimal(meta["sh"]), cur)
    blocks.append(
        _text_input(
            BlockId.F_SHIPPING,
            f"Shipping to refund (up to {shipping_max})",
            _plain_amount(form.shipping),
            action_id=ActionId.REFUND_RECALC,
            dispatch=True,
            hint="Press Enter to update the total.",
        )
    )
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
    blocks.append(section(_total_text(total, Money(Decimal(meta["max"]), cur), auto_limit), BlockId.F_TOTAL))
    blocks.append(
        _text_input(
            BlockId.F_AMOUNT,
            "Refund a different amount",
            "" if form.amount is None else _plain_amount(form.amount),
            optional=True,
            hint=f"Leave empty to refund the total. At most {Money(Decimal(meta['max']), cur)}.",
        )
    )
    reasons = [_option(key, label) for key, label in REASONS.items()]
    reason_element: dict = {
        "type": "static_select",
        "action_id": ActionId.REFUND_FIELD,
        "options": reasons,
        "placeholder": plain("Why is the money going back?", 150),
    }
    if form.reason in REASONS:  # otherwise the agent chooses: a guessed reason would mislead the team lead
        reason_element["initial_option"] = next(o for o in reasons if o["value"] == form.reason)
    blocks.append({"type": "input", "block_id": BlockId.F_REASON, "label": plain("Reason", 2000),
                   "element": reason_element})  # fmt: skip
    blocks.append(
        _text_input(
            BlockId.F_NOTE,
            "Note (the team lead sees it; Shopify keeps it with the refund)",
            form.note,
            optional=True,
            multiline=True,
        )
    )
    if not meta.get("k"):  # the store cannot notify the customer: no promise in the form
        return _modal(meta, blocks)
    notify = _option("yes", "Send the customer Shopify's refund notification")
    notify_element: dict = {"type": "checkboxes", "action_id": ActionId.REFUND_FIELD, "options": [notify]}
    if form.notify_customer:
        notify_element["initial_options"] = [notify]
    blocks.append(
        {
            "type": "input",
            "block_id": BlockId.F_NOTIFY,
            "optional": True,
            "label": plain("Customer", 2000),
            "element": notify_element,
        }
    )
    return _modal(meta, blocks)


def _modal(meta: dict[str, Any], blocks: list[dict]) -> dict:
    return {
        "type": "modal",
        "callback_id": CallbackId.REFUND_MODAL,
        "title": plain(f"Refund {meta['n']}", 24),
        "submit": plain("Request refund", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(meta, separators=(",", ":")),
        "blocks": blocks,
    }


def _intro(meta: dict[str, Any]) -> str:
    who = escape(meta["w"]) or "the customer"
    text = f"*Refund order {escape(meta['n'])}* to {who}. Choose the items and shipping to refund."
    if meta["r"]:
        text += f"\nThe items of return *{escape(meta['r'])}* are filled in."
    if not meta["l"]:
        text += "\nNo item can be refunded any more; shipping still can."
    return text


def _total_text(total: Money | None, maximum: Money, auto_limit: Decimal) -> str:
    shown = f"*Total to refund: {total}*" if total is not None else "*Total to refund:* _choose items_"
    approval = (
        f"Refunds above {Money(auto_limit, maximum.currency)} are approved by a team lead first."
        if auto_limit > 0
        else "A team lead approves every refund before it is made."
    )
    return f"{shown}  (at most {maximum} can still be refunded)\n{approval}"


def _plain_amount(value: Decimal) -> str:
    return "" if value == 0 else format(value, "f")


def _text_input(
    block_id: str,
    label: str,
    value: str,
    *,
    optional: bool = False,
    multiline: bool = False,
    hint: str = "",
    action_id: str = ActionId.REFUND_FIELD,
    dispatch: bool = False,
) -> dict:
    element: dict = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": 500 if multiline else 40,
    }
    if value:
        element["initial_value"] = value
    if dispatch:
        element["dispatch_action_config"] = {"trigger_actions_on": ["on_enter_pressed"]}
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if dispatch:
        block["dispatch_action"] = True
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


# -- the approval message --------------------------------------------------------------------------


def refund_facts(request: RefundRequestView, *, customer: str, thread_link: str | None) -> dict:
    """The facts of a request, built once when it is posted and kept through every update."""
    order = escape(request.order_name)
    order_text = f"<{thread_link}|Order {order}>" if thread_link else f"Order {order}"
    lines = [
        f"*Refund request #{request.id}* — {order_text} — {escape(customer) or '_no customer name_'}",
        f"*Amount:* {_amount(request)}",
        f"*Items:* {_items(request)}",
        f"*Restock:* {'yes' if request.restock != 'NO_RESTOCK' else 'no'} · "
        f"*Notify customer:* {'yes' if request.notify_customer else 'no'}",
        f"*Reason:* {escape(REASONS.get(request.reason, request.reason))}",
    ]
    if request.note:
        lines.append(f"*Note:* {escape(request.note)}")
    lines.append(f"*Requested by* <@{request.requested_by}>")
    return section("\n".join(lines), BlockId.REFUND_FACTS)


def approval_message(request: RefundRequestView, facts: dict, *, approvers_known: bool = True) -> tuple[str, list]:
    """The message in the approvals channel, for the request's current state."""
    blocks: list[dict] = [facts, context(_status(request), BlockId.REFUND_STATUS)]
    if request.status == states.PENDING_APPROVAL:
        if not approvers_known:
            blocks.append(
                context(
                    ":warning: No team leads are configured (APPROVER_USERGROUP or APPROVER_USER_IDS):"
                    " nobody can approve this yet."
                )
            )
        blocks.append(_buttons(request, approve=True))
    elif request.status == states.FAILED:
        blocks.append(_buttons(request, retry=True))
    return f"Refund request #{request.id}: {request.order_name}, {_amount(request)} — {_short(request)}", blocks


def thread_message(request: RefundRequestView, *, approvals_channel: str = "") -> tuple[str, list]:
    """The reply in the order's thread for the request's current state."""
    text = _thread_text(request, approvals_channel)
    blocks: list[dict] = [section(text, BlockId.REFUND_STATUS)]
    if request.status == states.FAILED:
        blocks.append(_buttons(request, retry=True))
    return text, blocks


def not_posted_message(request: RefundRequestView, reason: str) -> tuple[str, list]:
    """The request is saved but could not be put before a team lead: say why, offer to post it again."""
    text = (
        f":warning: Refund request #{request.id} ({_amount(request)}) is saved, but I couldn't post it for approval: "
        f"{reason}. Fix that, then press *Post for approval*."
    )
    button = {
        "type": "button",
        "action_id": ActionId.REFUND_REPOST,
        "value": str(request.id),
        "text": plain("Post for approval", 75),
    }
    return text, [
        section(text, BlockId.REFUND_STATUS),
        {"type": "actions", "block_id": BlockId.REFUND_ACTIONS, "elements": [button]},
    ]


def reject_modal(request: RefundRequestView, metadata: dict) -> dict:
    return {
        "type": "modal",
        "callback_id": CallbackId.REFUND_REJECT_MODAL,
        "title": plain("Reject refund", 24),
        "submit": plain("Reject", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": [
            section(
                f"Reject refund request #{request.id}: {escape(request.order_name)}, {_amount(request)}, "
                f"asked for by <@{request.requested_by}>."
            ),
            {
                "type": "input",
                "block_id": BlockId.F_REJECT_REASON,
                "label": plain("Why? The agent will read it.", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ActionId.REFUND_FIELD,
                    "multiline": True,
                    "max_length": REJECT_REASON_MAX,
                },
            },
        ],
    }


def decided_already(request: RefundRequestView) -> str:
    """What the loser of a race (or a late click) is told."""
    by = f" by <@{request.decided_by}>" if request.decided_by and request.decided_by != states.AUTO else ""
    match request.status:
        case states.REJECTED:
            return f"Refund request #{request.id} was already rejected{by}."
        case states.SUCCEEDED:
            return f"Refund request #{request.id} was already approved{by} and refunded."
        case states.EXECUTING:
            return f"Refund request #{request.id} is being refunded right now (approved{by})."
        case states.FAILED:
            return f"Refund request #{request.id} was approved{by}; its refund failed and can be retried."
        case _:
            return f"Refund request #{request.id} was already approved{by}."


# -- internals -------------------------------------------------------------------------------------


def _amount(request: RefundRequestView) -> str:
    return str(Money(request.amount, request.currency))


def _items(request: RefundRequestView) -> str:
    parts = [f"{li.quantity} × {escape(li.name or li.line_item_id)}" for li in request.lines]
    if request.shipping:
        parts.append(f"shipping {Money(request.shipping, request.currency)}")
    return clip(", ".join(parts), 1500)


def _short(request: RefundRequestView) -> str:
    return request.status.replace("_", " ")


def _by(request: RefundRequestView) -> str:
    if request.decided_by == states.AUTO:
        return "within the auto-approve limit"
    return f"by <@{request.decided_by}>" if request.decided_by else ""


def _status(request: RefundRequestView) -> str:
    match request.status:
        case states.PENDING_APPROVAL:
            return "⏳ Waiting for a team lead."
        case states.APPROVED | states.EXECUTING:
            return f"⏳ Approved {_by(request)}, refunding…"
        case states.SUCCEEDED:
            return f"✅ Approved {_by(request)} and refunded. Store refund `{escape(request.store_refund_id)}`."
        case states.REJECTED:
            return f"🚫 Rejected {_by(request)}: {escape(request.reject_reason)}"
        case _:
            return f"⚠️ Approved {_by(request)}, but the refund failed: {escape(request.failure)}"


def _thread_text(request: RefundRequestView, approvals_channel: str) -> str:
    amount = _amount(request)
    match request.status:
        case states.PENDING_APPROVAL:
            where = f" in <#{approvals_channel}>" if approvals_channel else ""
            return (
                f"⏳ Refund of {amount} requested by <@{request.requested_by}> (request #{request.id}): "
                f"waiting for a team lead's approval{where}."
            )
        case states.APPROVED | states.EXECUTING:
            return f"⏳ Refund of {amount} approved {_by(request)}: refunding…"
        case states.SUCCEEDED:
            notified = " Shopify notifies the customer." if request.notify_customer else ""
            return f"✅ Refunded {amount} (approved {_by(request)}).{notified}"
        case states.REJECTED:
            return (
                f"🚫 Refund of {amount} requested by <@{request.requested_by}> was rejected {_by(request)}: "
                f"{escape(request.reject_reason)}"
            )
        case _:
            return (
                f"⚠️ Refund of {amount} (approved {_by(request)}) failed: {escape(request.failure)}\n"
                "*Retry* sends the same refund again; it can never be made twice."
            )


def _buttons(request: RefundRequestView, *, approve: bool = False, retry: bool = False) -> dict:
    value = str(request.id)
    elements: list[dict] = []
    if approve:
        elements += [
            {
                "type": "button",
                "action_id": ActionId.REFUND_APPROVE,
                "value": value,
                "style": "primary",
                "text": plain("Approve", 75),
            },
            {
                "type": "button",
                "action_id": ActionId.REFUND_REJECT,
                "value": value,
                "style": "danger",
                "text": plain("Reject", 75),
            },
        ]
    if retry:
        elements.append(
            {"type": "button", "action_id": ActionId.REFUND_RETRY, "value": value, "text": plain("Retry", 75)}
        )
    return {"type": "actions", "block_id": BlockId.REFUND_ACTIONS, "elements": elements}
