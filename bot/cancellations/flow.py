"""Cancelling on the worker pool: the form opened (from the card, Cancel as fraud or `/cancel-order`), submitted
into a cancellation (approved at once within the refund limit, else before the team leads), and what the order's
thread and card show as it goes."""

from __future__ import annotations

import logging

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cancellations.form import CancelFormMeta
from bot.cancellations.views import TITLE, cancel_modal, outcome_blocks, outcome_text
from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.modals import message_modal, open_loading
from bot.orders.card import order_card_text
from bot.orders.handlers import card, post_order_card
from bot.refunds import flow as approvals
from bot.refunds.messages import pending_text, submitted_text
from commands import cancellation_tick, cancellations, lookup, refund_decisions
from commands.cancellation_run import Ran
from commands.cancellations import CancelForm, CancellationView, Creation, UseReturnInstead
from commands.errors import UserError
from commands.refunds import get_request
from domain.cancellations import CancelReason
from domain.orders import Order
from domain.refunds import RefundStatus

log = logging.getLogger(__name__)

NOT_POSTED_HERE = ("I can't post the order's card in this channel, and the cancellation is told in its thread: "
                   "invite me, or cancel from the card in another channel.")  # fmt: skip


def open_for_card(
    ctx: BotContext, client: WebClient, trigger_id: str, order_id: str, user: str, channel: str, thread: str,
    reason: CancelReason,
) -> None:  # fmt: skip
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        order = lookup.get_order(ctx.services, order_id)
        opened = cancellations.options_for(ctx.services, order, reason)
    except UserError as exc:
        _say(client, view_id, _refusal(exc))
        return
    _show(ctx, client, view_id, opened, channel, thread)


def open_for_command(
    ctx: BotContext, client: WebClient, respond: Respond, text: str, user: str, channel: str, trigger_id: str
) -> None:
    """`/cancel-order`: the order found, its card posted (its thread gets the outcome), the form filled in. An order
    that has shipped gets its card too: its Create return is the way instead."""
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        order = lookup.single_order(ctx.services, text)
        opened = cancellations.options_for(ctx.services, order)
    except UseReturnInstead as exc:
        post_order_card(ctx, client, respond, channel, user, exc.order)
        _say(client, view_id, _refusal(exc))
        return
    except UserError as exc:
        _say(client, view_id, _refusal(exc))
        return
    card_ts = post_order_card(ctx, client, respond, channel, user, order)
    if card_ts is None:
        _say(client, view_id, NOT_POSTED_HERE)
        return
    _show(ctx, client, view_id, opened, channel, card_ts)


def _show(
    ctx: BotContext, client: WebClient, view_id: str, opened: cancellations.CancelOptions, channel: str, thread: str
) -> None:
    meta = CancelFormMeta(order_id=opened.order.ref.id, channel=channel, thread=thread,
                          store_credit=opened.store_credit)  # fmt: skip
    view = cancel_modal(opened, meta, auto_limit=ctx.refunds.policy.auto_approve_limit,
                        store_notifies=ctx.services.store.notifies_customers)  # fmt: skip
    client.views_update(view_id=view_id, view=view)


def save(ctx: BotContext, client: WebClient, view_id: str, meta: CancelFormMeta, form: CancelForm, user: str) -> None:
    """The submitted form as a cancellation: every guard again against the order as it is now, then carried out at
    once (within the refund limit) or put before the team leads; the modal says where it went."""
    services = ctx.services
    try:
        order = lookup.get_order(services, meta.order_id)  # the form's client names the order; the store says the rest
        requested = cancellations.request_cancellation(
            services, order, form, requester=user, submission_key=f"slack-view:{view_id}",
            auto_approve_limit=ctx.refunds.policy.auto_approve_limit, channel=meta.channel, thread_ts=meta.thread,
        )  # fmt: skip
    except UserError as exc:
        _say(client, view_id, _refusal(exc))
        return
    request = requested.request
    if requested.outcome is Creation.BLOCKED or request is None:
        _say(client, view_id, outcome_text(requested.cancellation))
        return
    if requested.created and request.status is RefundStatus.APPROVED:  # within the limit: no team lead needed
        executed = refund_decisions.execute(services, request.id, actor=user)
        request = executed.request
        if executed.ran:
            approvals.report(ctx, client, request)  # the card too: the kind's `after` (describe.py)
        _say(client, view_id, submitted_text(request))
        return
    if requested.created and request.status is RefundStatus.PENDING_APPROVAL:
        approvals.ask_leads(ctx, client, request, order.customer_name or order.email)
    elif request.status is RefundStatus.PENDING_APPROVAL and requested.outcome is not Creation.REPEATED:
        _say(client, view_id, pending_text(request))
        return
    _say(client, view_id, submitted_text(get_request(services, request.id)))


# -- the thread and the card -------------------------------------------------------------------------


def finished(ctx: BotContext, client: WebClient, ran: Ran) -> None:
    """A cancellation the tick finished: said in its thread, and its card redrawn."""
    cancellation = ran.cancellation
    text = outcome_text(cancellation, voided=ran.voided, told=ran.told, mail_problem=ran.mail_problem)
    if cancellation.slack_channel and cancellation.slack_thread_ts:
        client.chat_postMessage(channel=cancellation.slack_channel, thread_ts=cancellation.slack_thread_ts,
                                text=text, blocks=outcome_blocks(text))  # fmt: skip
    _redraw(ctx, client, cancellation)


def redraw_card(ctx: BotContext, client: WebClient, cancellation: CancellationView) -> None:
    """The order's card as the order is now (cancelled, refunded); marked drawn, so the tick leaves it be."""
    if _redraw(ctx, client, cancellation):
        cancellation_tick.card_drawn(ctx.services, cancellation)


def redraw_card_now(ctx: BotContext, client: WebClient, cancellation: CancellationView) -> None:
    """Redraw the card (the tick calls this once per cancellation itself)."""
    _redraw(ctx, client, cancellation)


def _redraw(ctx: BotContext, client: WebClient, cancellation: CancellationView) -> bool:
    """True when the card is drawn (or there is none to draw)."""
    if not (cancellation.slack_channel and cancellation.slack_thread_ts):
        return True
    try:
        order: Order = lookup.get_order(ctx.services, cancellation.order_id)
    except UserError:
        return False
    try:
        client.chat_update(channel=cancellation.slack_channel, ts=cancellation.slack_thread_ts,
                           text=order_card_text(order), blocks=card(ctx, order, cancellation.requested_by))  # fmt: skip
    except SlackApiError as exc:
        log.warning("could not redraw the card of %s: %s", cancellation.order_name, exc)
        return exc.response.get("error") in ("message_not_found", "channel_not_found", "cant_update_message")
    return True


def _refusal(exc: UserError) -> str:
    text = f"✋ {escape(exc.message)}"
    if isinstance(exc, UseReturnInstead):
        text += "\nThe order's card in the channel has *Create return*."
    return text


def _say(client: WebClient, view_id: str, text: str) -> None:
    client.views_update(view_id=view_id, view=message_modal(TITLE, text))
