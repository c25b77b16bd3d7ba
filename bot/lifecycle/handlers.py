"""A return after its label: Mark received (on the return's message, reminders, escalations, `/returns` rows and
the Home tab; anyone may press it: the warehouse does), the "Mark received" form, Remind customer, Snooze, Close
(customer keeps it), Refund now; and the Home tab, published when it is opened.

Listeners read the payload, answer what needs no slow work, and queue the rest (`flow`). A press on the Home tab
has no response_url: what the person is told then goes on top of their Home tab instead of an ephemeral message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.ids import ActionId, BlockId, CallbackId
from bot.common.modals import message_modal
from bot.common.replies import BUSY, FAILED, Tell, bind
from bot.lifecycle import flow
from bot.lifecycle.home import publish_home
from bot.lifecycle.receipt import TITLE, ReceiptFormMeta, error_blocks, read_receipt
from bot.refunds import deciding
from bot.returns.flow import said
from commands import return_lifecycle, returns
from commands.errors import UserError

log = logging.getLogger(__name__)

Payload = dict[str, Any]

FORGED = "This form could not be read: it is not one the bot opened. Press Mark received again."


def register(app: App, ctx: BotContext) -> None:
    app.action(ActionId.RETURN_RECEIVE)(bind(ctx, mark_received))
    app.view(CallbackId.RECEIPT_MODAL)(bind(ctx, submit_receipt))
    app.action(ActionId.RETURN_REMIND)(bind(ctx, remind_customer))
    app.action(ActionId.RETURN_SNOOZE)(bind(ctx, snooze))
    app.action(ActionId.RETURN_CLOSE_KEPT)(bind(ctx, close_kept))
    app.action(ActionId.RETURN_REFUND_NOW)(bind(ctx, refund_now))
    app.event("app_home_opened")(bind(ctx, home_opened))
    # a lead's decision pressed on the Home tab: no message, no response_url; registered before bot.refunds'
    # listeners (see bot.app), which take the presses on the approval message
    app.action(ActionId.REFUND_APPROVE, matchers=[_from_home])(bind(ctx, approve_from_home))
    app.action(ActionId.REFUND_REJECT, matchers=[_from_home])(bind(ctx, reject_from_home))


# -- buttons ---------------------------------------------------------------------------------------


def mark_received(
    ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient
) -> None:
    job = partial(flow.open_receipt, ctx, client, body["trigger_id"], action["value"])
    _queue(ctx, ack, _teller(ctx, client, body, respond), job)


def submit_receipt(ctx: BotContext, ack: Ack, body: Payload, view: Payload, client: WebClient) -> None:
    """Field errors come back into the form at once, so the case is read here: one row by its RMA, from the
    bot's own database (never the store or the carrier), quick enough for the ack."""
    try:
        meta = ReceiptFormMeta.from_json(view.get("private_metadata", ""))
    except ValueError:
        ack(response_action="update", view=message_modal(TITLE, FORGED))
        return
    try:
        case = returns.get_case(ctx.services.db, meta.rma)
    except UserError as exc:
        ack(response_action="update", view=message_modal(TITLE, f"⚠️ {escape(exc.message)}"))
        return
    receipt, errors = read_receipt(view["state"]["values"], case)
    if not errors:
        errors = error_blocks(case, return_lifecycle.receipt_errors(case, receipt))
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=message_modal(TITLE, f"⏳ Recording the receipt of {escape(case.rma)}…"))
    job = partial(flow.submit_receipt, ctx, client, view["id"], case.rma, receipt, body["user"]["id"])
    if not ctx.worker.submit(job):  # a view submission has no response_url: the busy note goes into the modal
        client.views_update(view_id=view["id"], view=message_modal(TITLE, BUSY))


def remind_customer(
    ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient
) -> None:
    # the press's trigger id is the e-mail's key: pressed again sends again, one press redelivered sends once
    user = body["user"]["id"]
    job = partial(flow.remind, ctx, client, action["value"], user, body["trigger_id"], _pressed(body))
    _queue(ctx, ack, _teller(ctx, client, body, respond), job, outcome_told=_from_home(body))


def snooze(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    job = partial(flow.snooze, ctx, client, action["value"], body["user"]["id"], _pressed(body))
    _queue(ctx, ack, _teller(ctx, client, body, respond), job, outcome_told=_from_home(body))


def close_kept(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    job = partial(flow.close_kept, ctx, client, action["value"], body["user"]["id"], _pressed(body))
    _queue(ctx, ack, _teller(ctx, client, body, respond), job, outcome_told=_from_home(body))


def refund_now(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    job = partial(flow.refund_now, ctx, client, body["trigger_id"], action["value"], body["user"]["id"])
    _queue(ctx, ack, _teller(ctx, client, body, respond), job)


# -- the Home tab ----------------------------------------------------------------------------------


def approve_from_home(ctx: BotContext, ack: Ack, body: Payload, action: Payload, client: WebClient) -> None:
    user = str(body["user"]["id"])
    tell = _teller(ctx, client, body, None)
    job = partial(deciding.approve_request, ctx, client, tell, int(action["value"]), user, None)
    _queue(ctx, ack, tell, _then_refresh(ctx, client, user, job))


def reject_from_home(ctx: BotContext, ack: Ack, body: Payload, action: Payload, client: WebClient) -> None:
    tell = _teller(ctx, client, body, None)
    job = partial(
        deciding.ask_reject_reason, ctx, client, tell, int(action["value"]), str(body["user"]["id"]), body["trigger_id"]
    )
    _queue(ctx, ack, tell, job)


def _then_refresh(ctx: BotContext, client: WebClient, user: str, job: Callable[[], object]) -> Callable[[], None]:
    """The job, then the lead's Home tab again: the request decided there leaves the list."""

    def run() -> None:
        job()
        publish_home(ctx, client, user)

    return run


def home_opened(ctx: BotContext, event: Payload, client: WebClient) -> None:
    """Bolt acks events itself; the tab is read and published on the worker pool."""
    if event.get("tab") != "home" or not event.get("user"):
        return  # the Messages tab
    if not ctx.worker.submit(partial(_publish_quietly, ctx, client, str(event["user"]))):
        log.warning("the worker pool is full: the Home tab of %s was not published", event["user"])


def _publish_quietly(ctx: BotContext, client: WebClient, user: str) -> None:
    try:
        publish_home(ctx, client, user)
    except Exception:  # nobody is waiting for an answer: the next opening of the tab tries again
        log.exception("could not publish the Home tab of %s", user)


# -- internals -------------------------------------------------------------------------------------


def _queue(ctx: BotContext, ack: Ack, tell: Tell, job: Callable[[], object], *, outcome_told: bool = False) -> None:
    """Queue `job` and ack; its UserErrors are told to the person who pressed, in the bot's words, and with
    `outcome_told` what it did too (a press on the Home tab, where the thread that says it is out of sight)."""

    def guarded() -> None:
        try:
            outcome = job()
        except UserError as exc:
            tell(said(exc))
            return
        except Exception:
            log.exception("a return's button failed")
            tell(FAILED)
            return
        if outcome_told and isinstance(outcome, str):
            tell(outcome)

    ack()
    if not ctx.worker.submit(guarded):
        tell(BUSY)


def _teller(ctx: BotContext, client: WebClient, body: Payload, respond: Respond | None) -> Tell:
    """How to tell the person who pressed: ephemerally where the button was, or on top of their Home tab."""
    user = str(body["user"]["id"])

    def tell(text: str) -> None:
        if body.get("response_url") and respond is not None:
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif _from_home(body):
            publish_home(ctx, client, user, notice=text)
        else:
            log.warning("could not tell %s: %s", user, text)

    return tell


def _from_home(body: Payload) -> bool:
    """A press on the Home tab (a matcher for Bolt, and a test of our own)."""
    return (body.get("view") or {}).get("type") == "home"


def _pressed(body: Payload) -> flow.Pressed | None:
    """The message the button is on, when it can be updated (not ephemeral, not a view)."""
    container = body.get("container") or {}
    message = body.get("message")
    if container.get("type") != "message" or container.get("is_ephemeral") or not message or not body.get("channel"):
        return None
    blocks = list(message.get("blocks") or [])
    lifecycle = any(b.get("block_id") == BlockId.LIFECYCLE_ACTIONS for b in blocks)
    return flow.Pressed(str(body["channel"]["id"]), str(message["ts"]), blocks, lifecycle)
