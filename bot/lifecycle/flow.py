"""A return after its label, on the worker pool: the "Mark received" form opened and recorded, Remind customer,
Snooze, Close (customer keeps it), Refund now; and what the thread, the return's message and the pressed message
show afterwards. The rules (who may, what is allowed when) are commands.return_lifecycle's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.common.blocks import Block, date, escape
from bot.common.context import BotContext
from bot.common.modals import message_modal, open_loading
from bot.common.replies import FAILED
from bot.lifecycle.receipt import TITLE, receipt_modal
from bot.lifecycle.views import received_message, reminder_settled, with_outcome
from bot.refunds import flow as refund_flow
from bot.refunds.form import RefundFormMeta
from bot.refunds.form_view import refund_modal
from bot.refunds.messages import pending_text
from bot.refunds.requesting import TITLE as REFUND_TITLE
from bot.returns.flow import update_status
from bot.returns.views import who
from commands import exchanges, lookup, refunds, return_lifecycle, returns
from commands.errors import UserError
from commands.refund_form import DEFAULT_REASON
from commands.return_cases import Case
from commands.return_lifecycle import SNOOZE_DAYS

log = logging.getLogger(__name__)

Tell = Callable[[str], None]  # says something to the person who pressed (ephemeral, or on their Home tab)


@dataclass(frozen=True)
class Pressed:
    """The message a button was pressed on, when the bot can update it (not an ephemeral one, not the Home tab)."""

    channel: str
    ts: str
    blocks: list[Block]
    lifecycle: bool  # a reminder or an escalation: its buttons are settled in place


# -- Mark received ---------------------------------------------------------------------------------


def open_receipt(ctx: BotContext, client: WebClient, trigger_id: str, rma: str) -> None:
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        case = return_lifecycle.receipt_form(ctx.services, rma)
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal(TITLE, _not_receivable(ctx, rma, exc)))
        return
    client.views_update(view_id=view_id, view=receipt_modal(case))


def _not_receivable(ctx: BotContext, rma: str, exc: UserError) -> str:
    """Why the form does not open; for a return received already, who was first (the warehouse asks)."""
    case = returns.get_case(ctx.services.db, rma)
    if case.received_at is not None and case.received_by:
        when = date(case.received_at)
        return f"Return *{escape(rma)}* was already marked received by {who(case.received_by)} {when}."
    return f"⚠️ {escape(exc.message)}"


def submit_receipt(
    ctx: BotContext, client: WebClient, view_id: str, rma: str, receipt: return_lifecycle.Receipt, user: str
) -> None:
    """Record the receipt (one transition, whoever submits at the same moment); the modal says how it went."""
    try:
        received = return_lifecycle.receive(ctx.services, rma, user, receipt)
        case = received.case
        if not received.won:
            when = f" {date(case.received_at)}" if case.received_at else ""
            by = who(case.received_by)
            text = f"Return *{escape(rma)}* was already marked received by {by}{when}: nothing changed."
        else:
            announce_received(ctx, client, received)
            text = f"✅ Return *{escape(rma)}* is received: its thread says what came back."
            if received.emailed_to:
                text += f" The customer was told by e-mail ({escape(received.emailed_to)})."
            for trouble in (received.problem, received.refused):
                if trouble:
                    text += f"\n⚠️ {escape(trouble)}"
    except UserError as exc:
        text = f"⚠️ {escape(exc.message)}"
    except Exception:
        log.exception("recording the receipt of %s failed", rma)
        text = FAILED
    client.views_update(view_id=view_id, view=message_modal(TITLE, text))


def announce_received(ctx: BotContext, client: WebClient, received: return_lifecycle.Received) -> None:
    """The thread says who received what (with Refund now); the return's message shows it received."""
    case = received.case
    text, blocks = received_message(received)
    in_thread(client, case, text, blocks)
    exchange = exchanges.made_on_receipt(ctx.services, returns.get_case(ctx.services.db, case.rma))
    if exchange is not None:  # made by this receipt's follow-up: said as any replacement (with Retry if refused)
        refund_flow.report(ctx, client, exchange)
    refresh_status(ctx, client, case)
    settle_reminder(client, case, f"📦 Received by {who(case.received_by)}")


# -- the other buttons -----------------------------------------------------------------------------


def remind(ctx: BotContext, client: WebClient, rma: str, user: str, press: str, pressed: Pressed | None) -> str:
    """E-mail the customer a reminder with the label, once per press (its trigger id is the key). Returns what
    happened, in words (for a press on the Home tab, where no thread is in sight)."""
    address = return_lifecycle.remind_customer(ctx.services, rma, user, press=press)
    case = returns.get_case(ctx.services.db, rma)
    note = f"📧 <@{user}> reminded the customer ({escape(address)}) to send return *{escape(rma)}*, label attached."
    in_thread(client, case, note)
    settle_pressed(client, pressed, f"📧 Customer reminded by <@{user}>", keep_buttons=True)
    return note


def snooze(ctx: BotContext, client: WebClient, rma: str, user: str, pressed: Pressed | None) -> str:
    case = return_lifecycle.snooze(ctx.services, rma, user, days=SNOOZE_DAYS)
    until = f" (until {date(case.snoozed_until)})" if case.snoozed_until else ""
    note = f"😴 <@{user}> snoozed the reminders of return *{escape(rma)}* for {SNOOZE_DAYS} days{until}."
    in_thread(client, case, note)
    settle_pressed(client, pressed, f"😴 Snoozed {SNOOZE_DAYS} days by <@{user}>{until}", keep_buttons=True)
    return note


def close_kept(ctx: BotContext, client: WebClient, rma: str, user: str, pressed: Pressed | None) -> str:
    case = return_lifecycle.close_kept(ctx.services, rma, user)
    note = f"✅ <@{user}> closed return *{escape(rma)}*: the customer keeps the items."
    in_thread(client, case, note)
    refresh_status(ctx, client, case)
    outcome = f"✅ Closed by <@{user}>: the customer keeps the items"
    settle_pressed(client, pressed, outcome, keep_buttons=False)
    if pressed is None or pressed.ts != case.slack_reminder_ts:
        settle_reminder(client, case, outcome)
    return note


def refund_now(ctx: BotContext, client: WebClient, trigger_id: str, rma: str, user: str) -> None:
    """The refund form, prefilled with what came back (resellable and damaged items; missing ones are not), in the
    order's thread. Submitted, it is the refunds' own form: requested, approved and reported as any other."""
    view_id = open_loading(client, trigger_id, REFUND_TITLE)
    services = ctx.services
    try:
        case = returns.get_case(services.db, rma)
        order = lookup.get_order(services, case.order_id)
        opened = refunds.options_for(services, order)  # prefilled with the latest return's items, as they went out
        left = {line.line_item_id: line.refundable_quantity for line in opened.quote.lines}
        prefill = {line_id: min(n, left[line_id]) for line_id, n in came_back(case).items() if left.get(line_id)}
        restock = any(i.get("condition") == "resellable" for i in case.receipt)
        if prefill != opened.form.quantities or restock != opened.form.restock:  # priced again for what came back
            form = replace(opened.form, quantities=prefill, restock=restock, reason=DEFAULT_REASON)
            opened = refunds.redraw(services, order, form)
        opened = replace(opened, from_return=rma if prefill else "")
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal(REFUND_TITLE, escape(exc.message)))
        return
    blocked = refunds.blocking(opened, refund_flow.lead_check(ctx, client, user))
    if blocked is not None:  # one request per order at a time, as on the order card
        client.views_update(view_id=view_id, view=message_modal(REFUND_TITLE, pending_text(blocked)))
        return
    meta = RefundFormMeta.of(opened, case.slack_channel, case.slack_thread_ts)
    view = refund_modal(opened, opened.form, opened.total, meta, auto_limit=ctx.refunds.policy.auto_approve_limit)
    client.views_update(view_id=view_id, view=view)


def came_back(case: Case) -> dict[str, int]:
    """Units that came back per line item: resellable or damaged; the missing ones are not refunded from here."""
    back: dict[str, int] = {}
    for item in case.receipt:
        if item.get("condition") != "missing" and int(item.get("quantity", 0)) > 0:
            line_id = str(item["line_item_id"])
            back[line_id] = back.get(line_id, 0) + int(item["quantity"])
    return back


# -- where it shows --------------------------------------------------------------------------------


def in_thread(client: WebClient, case: Case, text: str, blocks: list[Block] | None = None) -> str | None:
    """A message in the return's thread (a case started outside Slack has none); its ts."""
    if not (case.slack_channel and case.slack_thread_ts):
        log.info("return %s has no Slack thread: %s", case.rma, text)
        return None
    posted = client.chat_postMessage(
        channel=case.slack_channel, thread_ts=case.slack_thread_ts, text=text, blocks=blocks
    )
    return str(posted["ts"])


def refresh_status(ctx: BotContext, client: WebClient, case: Case) -> None:
    """The return's message shows its state and age as they are now; a message that is gone is no failure."""
    if not case.slack_status_ts:
        return
    try:
        update_status(client, returns.get_case(ctx.services.db, case.rma), now=ctx.services.clock(), ctx=ctx)
    except SlackApiError as exc:
        log.warning("could not update the message of return %s: %s", case.rma, exc.response.get("error"))


def settle_reminder(client: WebClient, case: Case, outcome: str) -> None:
    """The reminder in the thread loses its buttons once the return is received or closed, wherever that was
    pressed (on the reminder itself, its message, `/returns`, the Home tab, or by the carrier's scan)."""
    if not (case.slack_reminder_ts and case.slack_channel):
        return
    text, blocks = reminder_settled(case, outcome)
    try:
        client.chat_update(channel=case.slack_channel, ts=case.slack_reminder_ts, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("could not update the reminder of return %s: %s", case.rma, exc.response.get("error"))


def settle_pressed(client: WebClient, pressed: Pressed | None, outcome: str, *, keep_buttons: bool) -> None:
    """The reminder or escalation whose button was pressed says what became of it."""
    if pressed is None or not pressed.lifecycle:
        return
    blocks = with_outcome(pressed.blocks, outcome, keep_buttons=keep_buttons)
    try:
        client.chat_update(channel=pressed.channel, ts=pressed.ts, text=outcome, blocks=blocks)
    except SlackApiError as exc:
        log.warning("could not update the pressed message: %s", exc.response.get("error"))
