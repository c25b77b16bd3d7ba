"""The agent's side of a refund, on the worker pool: the form opened (from the card or `/refund`), redrawn with the
store's total as the choices change, and submitted into a request before the team leads (or refunded at once)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.modals import message_modal, open_loading
from bot.orders.handlers import post_order_card
from bot.refunds import flow
from bot.refunds.form import RefundFormMeta, read_form
from bot.refunds.form_view import refund_modal
from bot.refunds.messages import NOT_POSTED_HERE, pending_text
from commands import lookup, refunds
from commands.errors import UserError
from commands.refund_form import RefundCommand, RefundForm
from commands.refunds import RefundOptions

log = logging.getLogger(__name__)

TITLE = "Refund"


def open_for_card(
    ctx: BotContext, client: WebClient, trigger_id: str, order_id: str, user: str, channel: str, thread: str
) -> None:
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        opened = refunds.options_for(ctx.services, lookup.get_order(ctx.services, order_id))
    except UserError as exc:
        _say(client, view_id, escape(exc.message))
        return
    _show(ctx, client, view_id, opened, user, channel, thread)


def open_for_command(
    ctx: BotContext, client: WebClient, respond: Respond, command: RefundCommand, user: str, channel: str,
    trigger_id: str,
) -> None:  # fmt: skip
    """`/refund`: the order found, its card posted (its thread gets the outcome), the form filled in."""
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        order = lookup.single_order(ctx.services, command.query)
        opened = refunds.options_for(ctx.services, order, command)  # says at once when nothing can be refunded
    except UserError as exc:
        _say(client, view_id, escape(exc.message))
        return
    card_ts = post_order_card(ctx, client, respond, channel, user, order)
    if card_ts is None:
        _say(client, view_id, NOT_POSTED_HERE)
        return
    _show(ctx, client, view_id, opened, user, channel, card_ts)


def _show(
    ctx: BotContext, client: WebClient, view_id: str, opened: RefundOptions, user: str, channel: str, thread: str
) -> None:
    blocked = refunds.blocking(opened, flow.lead_check(ctx, client, user))
    if blocked is not None:  # one request per order at a time: the agent sees the open one instead of a form
        _say(client, view_id, pending_text(blocked))
        return
    meta = RefundFormMeta.of(opened, channel, thread)
    view = refund_modal(opened, opened.form, opened.total, meta, auto_limit=ctx.refunds.policy.auto_approve_limit)
    client.views_update(view_id=view_id, view=view)


def redraw(ctx: BotContext, client: WebClient, view: dict[str, Any]) -> None:
    """Redraw the form with the store's total for what is chosen now (the lines stay the ones it opened with)."""
    try:
        meta = RefundFormMeta.from_json(view["private_metadata"])
        form, errors = read_form(view["state"]["values"], meta)
    except ValueError:
        log.warning("a refund form with metadata the bot did not write was changed: not redrawn")
        return
    try:
        opened = refunds.redraw(ctx.services, lookup.get_order(ctx.services, meta.order_id), form)
    except UserError:
        log.warning("could not price the refund of order %s", meta.order_id, exc_info=True)
        return
    again = RefundFormMeta.of(opened, meta.channel, meta.thread, lines=meta.line_ids)
    total = None if errors else opened.total
    modal = refund_modal(opened, form, total, again, auto_limit=ctx.refunds.policy.auto_approve_limit)
    try:
        client.views_update(view_id=view["id"], hash=view["hash"], view=modal)
    except SlackApiError as exc:
        if exc.response.get("error") != "hash_conflict":  # the agent changed something again: that redraw wins
            raise


def save_request(
    ctx: BotContext, client: WebClient, view_id: str, meta: RefundFormMeta, form: RefundForm, user: str
) -> None:
    """The submitted form as a request (read and checked against the store again), before the team leads or, within
    the auto-approve limit, refunded at once; the modal says where it went."""
    services = ctx.services
    try:
        order = lookup.get_order(services, meta.order_id)  # the form's client names the order; the store says the rest
        requested = refunds.request_refund(
            services, ctx.refunds.policy, order, form, requester=user, submission_key=f"slack-view:{view_id}",
            is_lead=flow.lead_check(ctx, client, user), channel=meta.channel, thread_ts=meta.thread,
        )  # fmt: skip
    except UserError as exc:
        _say(client, view_id, f"⚠️ {escape(exc.message)}")
        return
    _say(client, view_id, flow.proceed(ctx, client, requested, user))


def _say(client: WebClient, view_id: str, text: str) -> None:
    client.views_update(view_id=view_id, view=message_modal(TITLE, text))
