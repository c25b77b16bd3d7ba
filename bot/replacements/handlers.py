"""Replacements in Slack: the card's Replace button, `/replace <order>`, the modal, and its variant picker.

Each handler acks within Slack's 3 seconds and hands the work to the worker pool (bot.replacements.requesting);
checks that need no I/O are answered in the ack. The variant picker is the exception: Slack waits for its options
in the answer itself, so the store is asked there, with a short list (≤ 100) and an empty one on any failure.
Approve, Reject and Retry are the refunds' buttons (bot.refunds): the request is one of theirs, of another kind.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.ids import ActionId, CallbackId
from bot.common.modals import message_modal
from bot.common.replies import BUSY, bind, queue
from bot.refunds.kinds import describe_with
from bot.refunds.messages import FORGED
from bot.replacements import requesting
from bot.replacements.describe import REPLACEMENT
from bot.replacements.form import ReplaceFormMeta, read_form
from bot.replacements.form_view import TITLE, variant_option
from commands import lookup, replacements
from commands.errors import UserError
from domain.refunds import RequestKind

log = logging.getLogger(__name__)

Payload = dict[str, Any]
USAGE = "Use `/replace <order>`, e.g. `/replace #1001`."
SAVING = "⏳ Saving the replacement…"


def register(app: App, ctx: BotContext) -> None:
    describe_with(RequestKind.REPLACEMENT, REPLACEMENT)
    app.action(ActionId.REPLACE_OPEN)(bind(ctx, open_from_card))
    app.command("/replace")(bind(ctx, replace_command))
    app.options(ActionId.REPLACE_VARIANT)(bind(ctx, variant_choices))
    app.view(CallbackId.REPLACE_MODAL)(bind(ctx, submit_replacement_form))


def open_from_card(
    ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient
) -> None:
    thread = body["container"].get("thread_ts") or body["container"]["message_ts"]
    job = partial(
        requesting.open_for_card, ctx, client, body["trigger_id"], action["value"], body["channel"]["id"], thread
    )
    queue(ctx.worker, ack, respond, job)


def replace_command(ctx: BotContext, ack: Ack, command: Payload, respond: Respond, client: WebClient) -> None:
    """A missing or malformed order is answered in the ack itself."""
    text = command.get("text", "").strip()
    try:
        lookup.parse_query(text)
    except UserError as exc:
        ack(text=f"{escape(exc.message)} {USAGE}")
        return
    job = partial(
        requesting.open_for_command, ctx, client, respond, text, command["user_id"], command["channel_id"],
        command["trigger_id"],
    )  # fmt: skip
    queue(ctx.worker, ack, respond, job, busy_in_ack=True)


def variant_choices(ctx: BotContext, ack: Ack, payload: Payload) -> None:
    """The picker's options for what was typed, from the store (answered in the ack: Slack waits for them)."""
    try:
        found = replacements.variant_options(ctx.services, str(payload.get("value") or ""))
    except UserError as exc:
        log.warning("variant options failed: %s", exc.message)
        found = []
    ack(options=[variant_option(v) for v in found])


def submit_replacement_form(ctx: BotContext, ack: Ack, body: Payload, view: Payload, client: WebClient) -> None:
    try:
        meta = ReplaceFormMeta.from_json(view["private_metadata"])
        form, errors = read_form(view["state"]["values"], meta)
    except ValueError:
        ack(response_action="update", view=message_modal(TITLE, FORGED))
        return
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=message_modal(TITLE, SAVING))
    job = partial(requesting.save_request, ctx, client, view["id"], meta, form, body["user"]["id"])
    if not ctx.worker.submit(job):
        client.views_update(view_id=view["id"], view=message_modal(TITLE, BUSY))
