"""Block Kit of cancelling: the modal (reason, refund, restock, notify, staff note) and what the thread is told.
Pure functions: values in, blocks out."""

from __future__ import annotations

from decimal import Decimal

from bot.cancellations.form import NOTIFY, RESTOCK, CancelFormMeta
from bot.common.blocks import Block, escape, option, plain, section, text_input
from bot.common.ids import ActionId, BlockId, CallbackId
from commands.cancellation_run import refund_words
from commands.cancellations import CancellationView, CancelOptions
from domain.cancellations import STAFF_NOTE_MAX, CancelReason, CancelRefund, RiskLevel
from domain.orders import FinancialStatus

TITLE = "Cancel order"
NOTE_LENGTH = 1000  # the field takes more than Shopify keeps, so that a long note is told, not cut


def cancel_modal(opened: CancelOptions, meta: CancelFormMeta, *, auto_limit: Decimal, store_notifies: bool) -> Block:
    order, form = opened.order, opened.form
    reasons = [option(r.value, r.words) for r in CancelReason]
    refunds = [option(CancelRefund.ORIGINAL, f"Refund {opened.refundable} to the original payment method")]
    if opened.store_credit:
        refunds.append(option(CancelRefund.STORE_CREDIT, f"Refund {opened.refundable} as store credit"))
    refunds.append(option(CancelRefund.NONE, "No refund"))
    chosen_refund = next(o for o in refunds if o["value"] == form.refund)
    notify = "Notify the customer (Shopify e-mails them)" if store_notifies else (
        "E-mail the customer a cancellation notice in their language")  # fmt: skip
    checks = [option(RESTOCK, "Restock the items")]
    if order.email:
        checks.append(option(NOTIFY, notify))
    initial = [c for c in checks if (c["value"] == RESTOCK and form.restock) or (c["value"] == NOTIFY
                                                                                   and form.notify_customer)]
    options_element: Block = {"type": "checkboxes", "action_id": ActionId.CANCEL_FIELD, "options": checks}
    if initial:
        options_element["initial_options"] = initial
    blocks: list[Block] = [
        section(_intro(opened, auto_limit), BlockId.C_INTRO),
        _input(BlockId.C_REASON, "Why is it cancelled?", {
            "type": "static_select", "action_id": ActionId.CANCEL_FIELD, "options": reasons,
            "initial_option": next(o for o in reasons if o["value"] == form.reason),
        }),
        _input(BlockId.C_REFUND, "Refund", {
            "type": "radio_buttons", "action_id": ActionId.CANCEL_FIELD, "options": refunds,
            "initial_option": chosen_refund,
        }),
        _input(BlockId.C_OPTIONS, "Stock and customer", options_element, optional=True),
        text_input(
            BlockId.C_NOTE, "Staff note (only staff see it)", form.staff_note, action_id=ActionId.CANCEL_FIELD,
            optional=True, multiline=True, max_length=NOTE_LENGTH, hint=f"At most {STAFF_NOTE_MAX} characters.",
        ),
    ]  # fmt: skip
    return {
        "type": "modal", "callback_id": CallbackId.CANCEL_MODAL, "title": plain(f"Cancel {order.name}", 24),
        "submit": plain("Cancel order", 24), "close": plain("Keep order", 24), "private_metadata": meta.to_json(),
        "blocks": blocks,
    }  # fmt: skip


def _input(block_id: str, label: str, element: Block, *, optional: bool = False) -> Block:
    return {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element,
            "optional": optional}  # fmt: skip


def _intro(opened: CancelOptions, auto_limit: Decimal) -> str:
    order = opened.order
    who = escape(order.customer_name or order.email or "no customer")
    lines = [f"*{escape(order.name)}* — {who} — {order.total}. Nothing has shipped yet.",
             "Cancelling cannot be undone. Unused return labels of the order are voided first."]  # fmt: skip
    if opened.refund_note:
        lines.append(f"↩️ {escape(opened.refund_note)}")
    if order.financial_status is FinancialStatus.AUTHORIZED:
        lines.append("🔒 The payment is only authorized: cancelling releases it, so nothing needs refunding.")
    if opened.refundable.amount > 0 and opened.refundable.amount > auto_limit:
        lines.append(f"🔒 Refunding {opened.refundable} needs a team lead's approval: the order is cancelled once "
                     "they approve.")  # fmt: skip
    if order.risk_level is RiskLevel.HIGH:
        lines.append("🚨 Shopify rates this order's fraud risk high.")
    return "\n".join(lines)


# -- what the thread and the modal are told ----------------------------------------------------------


def outcome_text(cancellation: CancellationView, *, voided: tuple[str, ...] = (), told: str = "",
                 mail_problem: str = "") -> str:  # fmt: skip
    """Where the cancellation stands, in words (mrkdwn)."""
    name = escape(cancellation.order_name)
    match cancellation.status.value:
        case "done":
            parts = [f"✖️ *Order {name} is cancelled* ({escape(cancellation.reason.words.lower())}):",
                     escape(refund_words(cancellation))]  # fmt: skip
            parts.append("items restocked" if cancellation.restock else "items not restocked")
            labels = voided or cancellation.labels_voided
            if labels:
                parts.append(f"return labels voided first: {escape(', '.join(labels))}")
            if told == "email":
                parts.append("the customer was e-mailed a cancellation notice in their language")
            elif told == "store":
                parts.append("the store notified the customer")
            text = parts[0] + " " + "; ".join(parts[1:]) + "."
            if mail_problem:
                text += f"\n⚠️ {escape(mail_problem)}."
            return text
        case "running":
            return (f"⏳ The store is still cancelling {name}. I'll check again on the next tick and say here when "
                    "it is done.")  # fmt: skip
        case "failed":
            return f"⚠️ {name} was not cancelled: {escape(cancellation.failure)}"
        case "rejected":
            return f"✋ The cancellation of {name} was rejected: {escape(cancellation.failure)}"
        case _:
            return f"⏳ The cancellation of {name} is waiting for a team lead's approval."


def outcome_blocks(text: str) -> list[Block]:
    return [section(text, BlockId.CANCEL_STATUS)]
