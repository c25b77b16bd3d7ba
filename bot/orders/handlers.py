"""`/order <query>` and the pick list's "Show" buttons: thin listeners that hand the lookup to the worker pool."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.ids import ActionId
from bot.common.modals import message_modal, open_loading
from bot.common.replies import bind, post_in_channel, queue
from bot.orders.card import order_card, order_card_text
from bot.orders.notes import TITLE as NOTE_TITLE
from bot.orders.notes import note_modal
from bot.orders.pick_list import pick_list, pick_list_text
from commands import lookup, refunds, returns
from commands.errors import UserError
from domain.orders import Order

EXAMPLE = "For example: `/order #1001`."


def register(app: App, ctx: BotContext) -> None:
    app.command("/order")(bind(ctx, order_command))
    app.action(ActionId.PICK_ORDER)(bind(ctx, pick_order))
    app.action(ActionId.ORDER_NOTE)(bind(ctx, full_note))


def order_command(ctx: BotContext, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
    text = command.get("text", "")
    try:
        lookup.parse_query(text)  # cheap: bad input is answered in the ack itself
    except UserError as exc:
        ack(text=f"{escape(exc.message)} {EXAMPLE}")  # the message quotes what was typed
        return
    job = partial(show_lookup, ctx, client, respond, command["channel_id"], command["user_id"], text)
    queue(ctx.worker, ack, respond, job, busy_in_ack=True)


def pick_order(
    ctx: BotContext, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    job = partial(post_picked, ctx, client, respond, body["channel"]["id"], body["user"]["id"], action["value"])
    queue(ctx.worker, ack, respond, job)


def full_note(
    ctx: BotContext, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
) -> None:
    job = partial(show_note, ctx, client, body["trigger_id"], action["value"])
    queue(ctx.worker, ack, respond, job)


# -- the work, on the worker pool ------------------------------------------------------------------


def show_lookup(ctx: BotContext, client: WebClient, respond: Respond, channel: str, user: str, text: str) -> None:
    result = lookup.look_up(ctx.services, text)
    if result.order is not None:
        post_order_card(ctx, client, respond, channel, user, result.order)
    elif result.matches:
        description = lookup.describe(result.query)
        respond(
            text=pick_list_text(escape(description), len(result.matches), result.more, result.total, lookup.COUNT_CAP),
            blocks=pick_list(result.matches, description, more=result.more, total=result.total, cap=lookup.COUNT_CAP),
            response_type="ephemeral",
        )
    else:
        message = escape(lookup.no_match_message(result, ctx.store_label))
        respond(text=f"{message} {EXAMPLE}", response_type="ephemeral")


def post_picked(ctx: BotContext, client: WebClient, respond: Respond, channel: str, user: str, order_id: str) -> None:
    order = lookup.get_order(ctx.services, order_id)
    if post_order_card(ctx, client, respond, channel, user, order, replace_original=True) is not None:
        respond(delete_original=True)


def show_note(ctx: BotContext, client: WebClient, trigger_id: str, order_id: str) -> None:
    """The card's "Full note": the order read again (the button carries its id only), its whole note in a modal."""
    view_id = open_loading(client, trigger_id, NOTE_TITLE)
    try:
        order = lookup.get_order(ctx.services, order_id)
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal(NOTE_TITLE, escape(exc.message)))
        return
    client.views_update(view_id=view_id, view=note_modal(order))


def post_order_card(
    ctx: BotContext, client: WebClient, respond: Respond, channel: str, user: str, order: Order, *,
    replace_original: bool = False,
) -> str | None:  # fmt: skip
    """The order's card in the channel (its ts), or to the agent alone with the reason when the bot may not post."""
    return post_in_channel(
        client, respond, channel, order_card_text(order), card(ctx, order, user), replace_original=replace_original
    )


def card(ctx: BotContext, order: Order, user: str) -> list[dict[str, Any]]:
    """The order card with what can be done with the order now (the rules are the workflows' own)."""
    services = ctx.services
    held = returns.order_returns(services, order)  # the cases listed and "Create return" from one read
    return order_card(
        order,
        requested_by=user,
        can_return=held.can_return,
        can_refund=refunds.can_refund(order),
        cases=held.cases,
        open_refunds=refunds.open_requests(services, order),
    )
