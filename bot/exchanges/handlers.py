"""Ship exchange now: acked at once, the work on the worker pool (bot.exchanges.flow)."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.common.context import BotContext
from bot.common.ids import ActionId
from bot.common.replies import bind, queue
from bot.exchanges import flow

Payload = dict[str, Any]


def register(app: App, ctx: BotContext) -> None:
    app.action(ActionId.EXCHANGE_SHIP_NOW)(bind(ctx, ship_now))


def ship_now(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    job = partial(flow.ship_now, ctx, client, respond, str(action["value"]), str(body["user"]["id"]))
    queue(ctx.worker, ack, respond, job)
