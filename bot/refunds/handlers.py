"""Refunds in Slack: the card's Refund button, `/refund <order> [amount] [currency]`, the refund modal (its total
follows the choices), and the approval message's Approve, Reject, Retry and Post for approval.

Each handler acks within Slack's 3 seconds and hands the work to the worker pool (bot.refunds.requesting for the
agent's side, bot.refunds.deciding for the team leads'); checks that need no I/O are answered in the ack.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.ids import ActionId, BlockId, CallbackId
from bot.common.modals import message_modal
from bot.common.replies import BUSY, bind, ephemeral, queue
from bot.refunds import deciding, requesting
from bot.refunds.form import RefundFormMeta, RejectFormMeta, read_form, reject_reason
from bot.refunds.messages import FORGED, REJECT_TITLE, SAVING, SAY_WHY, USAGE
from commands import lookup
from commands.errors import UserError
from commands.refund_form import parse_command

Payload = dict[str, Any]


def register(app: App, ctx: BotContext) -> None:
    app.action(ActionId.REFUND_OPEN)(bind(ctx, open_from_card))
    app.command("/refund")(bind(ctx, refund_command))
    app.action(ActionId.REFUND_QUANTITY)(bind(ctx, recalculate))
    app.action(ActionId.REFUND_RECALC)(bind(ctx, recalculate))
    app.view(CallbackId.REFUND_MODAL)(bind(ctx, submit_refund_form))
    app.action(ActionId.REFUND_APPROVE)(bind(ctx, approve))
    app.action(ActionId.REFUND_REJECT)(bind(ctx, reject))
    app.view(CallbackId.REFUND_REJECT_MODAL)(bind(ctx, submit_reject_form))
    app.action(ActionId.REFUND_RETRY)(bind(ctx, retry))
    app.action(ActionId.REFUND_REPOST)(bind(ctx, repost))


# -- the agent -------------------------------------------------------------------------------------


def open_from_card(
    ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient
) -> None:
    thread = body["container"].get("thread_ts") or body["container"]["message_ts"]
    job = partial(
        requesting.open_for_card, ctx, client, body["trigger_id"], action["value"], body["user"]["id"],
        body["channel"]["id"], thread,
    )  # fmt: skip
    queue(ctx.worker, ack, respond, job)


def refund_command(ctx: BotContext, ack: Ack, command: Payload, respond: Respond, client: WebClient) -> None:
    """Bad input (no order, a bad amount or currency) is answered in the ack itself."""
    try:
        parsed = parse_command(command.get("text", ""))
        lookup.parse_query(parsed.query)
    except UserError as exc:
        ack(text=f"{escape(exc.message)} {USAGE}")
        return
    job = partial(
        requesting.open_for_command, ctx, client, respond, parsed, command["user_id"], command["channel_id"],
        command["trigger_id"],
    )  # fmt: skip
    queue(ctx.worker, ack, respond, job, busy_in_ack=True)


def recalculate(ctx: BotContext, ack: Ack, body: Payload, client: WebClient) -> None:
    ack()
    ctx.worker.submit(partial(requesting.redraw, ctx, client, body["view"]))  # a total not shown is harmless


def submit_refund_form(ctx: BotContext, ack: Ack, body: Payload, view: Payload, client: WebClient) -> None:
    try:
        meta = RefundFormMeta.from_json(view["private_metadata"])
        form, errors = read_form(view["state"]["values"], meta)
    except ValueError:
        ack(response_action="update", view=message_modal(requesting.TITLE, FORGED))
        return
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=message_modal(requesting.TITLE, SAVING))
    job = partial(requesting.save_request, ctx, client, view["id"], meta, form, body["user"]["id"])
    if not ctx.worker.submit(job):
        client.views_update(view_id=view["id"], view=message_modal(requesting.TITLE, BUSY))


# -- the team leads --------------------------------------------------------------------------------


def approve(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    user, clicked = body["user"]["id"], body.get("message")
    job = partial(deciding.approve_request, ctx, client, ephemeral(respond), _request_id(action), user, clicked)
    queue(ctx.worker, ack, respond, job)


def reject(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    user, trigger = body["user"]["id"], body["trigger_id"]
    job = partial(deciding.ask_reject_reason, ctx, client, ephemeral(respond), _request_id(action), user, trigger)
    queue(ctx.worker, ack, respond, job)


def submit_reject_form(ctx: BotContext, ack: Ack, body: Payload, view: Payload, client: WebClient) -> None:
    try:
        meta = RejectFormMeta.from_json(view["private_metadata"])
    except ValueError:
        ack(response_action="update", view=message_modal(REJECT_TITLE, FORGED))
        return
    reason = reject_reason(view["state"]["values"])
    if not reason:
        ack(response_action="errors", errors={BlockId.F_REJECT_REASON: SAY_WHY})
        return
    ack()
    ctx.worker.submit(partial(deciding.reject_request, ctx, client, meta.request_id, body["user"]["id"], reason))


def retry(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    user, clicked = body["user"]["id"], body.get("message")
    job = partial(deciding.retry_request, ctx, client, ephemeral(respond), _request_id(action), user, clicked)
    queue(ctx.worker, ack, respond, job)


def repost(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    channel, ts = body["channel"]["id"], body["container"]["message_ts"]
    job = partial(deciding.repost_request, ctx, client, ephemeral(respond), _request_id(action), channel, ts)
    queue(ctx.worker, ack, respond, job)


def _request_id(action: Payload) -> int:
    return int(action["value"])
