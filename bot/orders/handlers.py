"""`/order <query>` and the pick-list buttons."""

from __future__ import annotations

from functools import partial

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.common.context import BotContext
from bot.common.ids import ActionId
from bot.common.replies import BUSY, in_background, post_in_channel
from bot.orders.card import order_card, order_card_text
from bot.orders.pick_list import pick_list, pick_list_text
from commands import lookup, refunds, returns
from commands.errors import UserError
from domain.orders import Order


def register(app: App, ctx: BotContext) -> None:
    @app.command("/order")
    def order_command(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        text = command.get("text", "")
        try:
            lookup.parse_query(text)  # cheap: bad input is answered in the ack itself
        except UserError as exc:
            ack(text=exc.message)
            return
        job = partial(show_lookup, ctx, client, respond, command["channel_id"], command["user_id"], text)
        if in_background(ctx.worker, respond, job):
            ack()
        else:
            ack(text=BUSY)

    @app.action(ActionId.PICK_ORDER)
    def pick_order(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        ack()
        channel, user = body["channel"]["id"], body["user"]["id"]
        job = partial(post_picked, ctx, client, respond, channel, user, action["value"])
        if not in_background(ctx.worker, respond, job):
            respond(text=BUSY, response_type="ephemeral", replace_original=False)


def show_lookup(ctx: BotContext, client: WebClient, respond: Respond, channel: str, user: str, text: str) -> None:
    result = lookup.look_up(ctx.services, text)
    if result.order is not None:
        post_in_channel(client, respond, channel, order_card_text(result.order), card(ctx, result.order, user))
    elif result.matches:
        description = lookup.describe(result.query)
        respond(
            text=pick_list_text(description, len(result.matches), result.more),
            blocks=pick_list(result.matches, description, more=result.more),
            response_type="ephemeral",
        )
    else:
        respond(text=lookup.no_match_message(result, ctx.store_label), response_type="ephemeral")


def post_picked(ctx: BotContext, client: WebClient, respond: Respond, channel: str, user: str, order_id: str) -> None:
    order = lookup.get_order(ctx.services, order_id)
    ts = post_in_channel(
        client, respond, channel, order_card_text(order), card(ctx, order, user), replace_original=True
    )
    if ts is not None:
        respond(delete_original=True)


def card(ctx: BotContext, order: Order, user: str) -> list[dict]:
    """The order card with what can be done with the order now."""
    services = ctx.services
    cases = returns.cases_for_order(services.db, order.ref.id)
    return order_card(
        order,
        requested_by=user,
        can_return=returns.can_return(services, order),
        can_refund=refunds.can_refund(order),
        cases=cases,
    )
