"""`/report [from to]`: the sales summary posted in the channel, for team leads only (the approvers).

The dates are checked in the ack; reading the orders (a month of them, paced on Shopify) runs on the worker pool.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.replies import bind, post_in_channel, queue
from bot.reports.views import report_blocks, report_text
from commands import report_sales
from commands.errors import UserError

USAGE = "Use `/report` for this month so far, or `/report 2026-11-01 2026-11-30` for those days."
LEADS_ONLY = "Only team leads can see the sales report."


def register(app: App, ctx: BotContext) -> None:
    app.command("/report")(bind(ctx, report_command))


def report_command(ctx: BotContext, ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
    words = command.get("text", "").split()
    today = ctx.services.clock().astimezone(ctx.services.lifecycle.timezone).date()
    try:
        if not words:
            start, end = today.replace(day=1), today
        elif len(words) == 2:
            start, end = report_sales.parse_period(words[0], words[1])
        else:
            raise UserError("Give both days, or none.")
    except UserError as exc:
        ack(text=f"{escape(exc.message)} {USAGE}")
        return
    job = partial(post_report, ctx, client, respond, command["user_id"], command["channel_id"], start, end)
    queue(ctx.worker, ack, respond, job, busy_in_ack=True)


def post_report(
    ctx: BotContext, client: WebClient, respond: Respond, user: str, channel: str, start: date, end: date
) -> None:
    if not ctx.refunds.approvers.may_approve(client, user):
        respond(text=LEADS_ONLY, response_type="ephemeral")
        return
    report = report_sales.sales_report(ctx.services, start, end)  # a UserError reaches the lead ephemerally
    post_in_channel(client, respond, channel, report_text(report), report_blocks(report, user))
