"""Cancelling in Slack: the card's Cancel order and Cancel as fraud, `/cancel-order <order>`, and the modal.

Each handler acks within Slack's 3 seconds and hands the work to the worker pool (bot.cancellations.flow); the
modal's fields are checked in the ack. Approving, rejecting and retrying are the refund machinery's buttons
(bot.refunds), which speak of a cancellation in the words registered here (bot.cancellations.describe).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.cancellations import flow
from bot.cancellations.describe import DESCRIBER
from bot.cancellations.form import CancelFormMeta, read_form
from bot.cancellations.views import TITLE
from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.ids import ActionId, CallbackId
from bot.common.modals import message_modal
from bot.common.replies import BUSY, bind, queue
from bot.refunds.kinds import describe_with
from commands import lookup
from commands.errors import UserError
from domain.cancellations import CancelReason
from domain.refunds import RequestKind

Payload = dict[str, Any]

USAGE = "For example: `/cancel-order #1024`."
FORGED = "This form was not made by the bot, so nothing was cancelled. Open it again from the order's card."
SAVING = "⏳ Cancelling the order…"


def register(app: App, ctx: BotContext) -> None:
    describe_with(RequestKind.CANCELLATION, DESCRIBER)
    app.command("/cancel-order")(bind(ctx, cancel_command))
    app.action(ActionId.CANCEL_OPEN)(bind(ctx, open_from_card))
    app.action(ActionId.CANCEL_FRAUD)(bind(ctx, open_as_fraud))
    app.view(CallbackId.CANCEL_MODAL)(bind(ctx, submit_cancel_form))


def cancel_command(ctx: BotContext, ack: Ack, command: Payload, respond: Respond, client: WebClient) -> None:
    """No order (or a query that cannot be one) is answered in the ack itself."""
    text = command.get("text", "").strip()
    try:
        if not text:
            raise UserError("Say which order to cancel.")
        lookup.parse_query(text)
    except UserError as exc:
        ack(text=f"{escape(exc.message)} {USAGE}")
        return
    job = partial(flow.open_for_command, ctx, client, respond, text, command["user_id"], command["channel_id"],
                  command["trigger_id"])  # fmt: skip
    queue(ctx.worker, ack, respond, job, busy_in_ack=True)


def open_from_card(
    ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient
) -> None:
    _open(ctx, ack, body, action, respond, client, CancelReason.CUSTOMER)


def open_as_fraud(
    ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient
) -> None:
    """A HIGH-risk order's "Cancel as fraud": the same form, with fraud chosen; the agent still decides."""
    _open(ctx, ack, body, action, respond, client, CancelReason.FRAUD)


def _open(
    ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient, reason: CancelReason
) -> None:
    thread = body["container"].get("thread_ts") or body["container"]["message_ts"]
    job = partial(flow.open_for_card, ctx, client, body["trigger_id"], action["value"], body["user"]["id"],
                  body["channel"]["id"], thread, reason)  # fmt: skip
    queue(ctx.worker, ack, respond, job)


def submit_cancel_form(ctx: BotContext, ack: Ack, body: Payload, view: Payload, client: WebClient) -> None:
    try:
        meta = CancelFormMeta.from_json(view["private_metadata"])
    except ValueError:
        ack(response_action="update", view=message_modal(TITLE, FORGED))
        return
    form, errors = read_form(view["state"]["values"], meta)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=message_modal(TITLE, SAVING))
    job = partial(flow.save, ctx, client, view["id"], meta, form, body["user"]["id"])
    if not ctx.worker.submit(job):  # a view submission has no response_url: the busy note goes into the modal
        client.views_update(view_id=view["id"], view=message_modal(TITLE, BUSY))
