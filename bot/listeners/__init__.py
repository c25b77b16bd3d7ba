"""Listeners by kind, each module with a `register(app, ctx)`: thin glue from payloads to workflows."""

from __future__ import annotations

from slack_bolt import App

from bot.context import BotContext
from bot.listeners import order_lookup, refunds, returns


def register(app: App, ctx: BotContext) -> None:
    order_lookup.register(app, ctx)
    returns.register(app, ctx)
    refunds.register(app, ctx)
