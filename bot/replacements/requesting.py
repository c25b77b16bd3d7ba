"""The agent's side of a replacement, on the worker pool: the form opened (from the card or `/replace`), and
submitted into a request before the team leads (or made at once within the limit). Deciding it is the refunds'
own (bot.refunds.deciding): the same buttons, the same rules."""

from __future__ import annotations

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.modals import message_modal, open_loading
from bot.orders.handlers import post_order_card
from bot.refunds import flow
from bot.refunds.messages import NOT_POSTED_HERE, pending_text
from bot.replacements.form import ReplaceFormMeta
from bot.replacements.form_view import TITLE, replacement_modal
from commands import lookup, replacements
from commands.errors import UserError
from commands.replacement_form import ReplacementForm
from commands.replacements import ReplacementOptions


def open_for_card(
    ctx: BotContext, client: WebClient, trigger_id: str, order_id: str, channel: str, thread: str
) -> None:
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        opened = replacements.options_for(ctx.services, lookup.get_order(ctx.services, order_id))
    except UserError as exc:
        _say(client, view_id, escape(exc.message))
        return
    _show(ctx, client, view_id, opened, channel, thread)


def open_for_command(
    ctx: BotContext, client: WebClient, respond: Respond, query: str, user: str, channel: str, trigger_id: str
) -> None:
    """`/replace`: the order found, its card posted (its thread gets the outcome), the form opened."""
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        order = lookup.single_order(ctx.services, query)
        opened = replacements.options_for(ctx.services, order)  # says at once when the order cannot have one
    except UserError as exc:
        _say(client, view_id, escape(exc.message))
        return
    card_ts = post_order_card(ctx, client, respond, channel, user, order)
    if card_ts is None:
        _say(client, view_id, NOT_POSTED_HERE)
        return
    _show(ctx, client, view_id, opened, channel, card_ts)


def _show(
    ctx: BotContext, client: WebClient, view_id: str, opened: ReplacementOptions, channel: str, thread: str
) -> None:
    if opened.open_request is not None:  # one replacement request per order at a time: that one is shown instead
        _say(client, view_id, pending_text(opened.open_request))
        return
    meta = ReplaceFormMeta.of(opened, channel, thread)
    limit = ctx.refunds.replacement_policy.auto_approve_limit
    client.views_update(view_id=view_id, view=replacement_modal(opened, meta, auto_limit=limit))


def save_request(
    ctx: BotContext, client: WebClient, view_id: str, meta: ReplaceFormMeta, form: ReplacementForm, user: str
) -> None:
    """The submitted form as a request (checked against the order and the store again), before the team leads or,
    within the limit, made at once; the modal says where it went."""
    services = ctx.services
    try:
        order = lookup.get_order(services, meta.order_id)  # the form's client names the order; the store says the rest
        requested = replacements.request_replacement(
            services, ctx.refunds.replacement_policy, order, form, requester=user,
            submission_key=f"slack-view:{view_id}", channel=meta.channel, thread_ts=meta.thread,
        )  # fmt: skip
    except UserError as exc:
        _say(client, view_id, f"⚠️ {escape(exc.message)}")
        return
    _say(client, view_id, flow.proceed(ctx, client, requested, user))


def _say(client: WebClient, view_id: str, text: str) -> None:
    client.views_update(view_id=view_id, view=message_modal(TITLE, text))
