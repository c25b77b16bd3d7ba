"""Return labels: the order card's "Create return" menu, the return modal, `/return`, `/returns`, and the
buttons on a return's message (e-mail again, e-mail elsewhere, void, retry).

Listeners only read the payload, answer what can be answered without I/O, and queue the work (`flow`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.ids import ActionId, CallbackId, ReturnMenu
from bot.common.modals import message_modal
from bot.common.replies import BUSY, bind, queue
from bot.returns import flow
from bot.returns.flow import escaping
from bot.returns.form import EmailFormMeta, ReturnFormMeta, read_email, read_form
from bot.returns.modals import TITLE
from commands import lookup, returns
from commands.errors import UserError

Payload = dict[str, Any]

USAGE = "Use `/return <order>` for the form, or `/return <order> instant` to skip it."
LISTS = "Use `/returns`, `/returns overdue` or `/returns mine`."
FORGED = "This form could not be read: it was not the one the bot opened. Open it again from the order card."


def register(app: App, ctx: BotContext) -> None:
    app.action(ActionId.RETURN_MENU)(bind(ctx, return_menu))
    app.view(CallbackId.RETURN_MODAL)(bind(ctx, submit_return_form))
    app.action(ActionId.RETURN_EMAIL)(bind(ctx, email_again))
    app.action(ActionId.RETURN_EMAIL_OTHER)(bind(ctx, email_elsewhere))
    app.view(CallbackId.RETURN_EMAIL_MODAL)(bind(ctx, submit_email_form))
    app.action(ActionId.RETURN_VOID)(bind(ctx, void_label))
    app.action(ActionId.RETURN_RETRY)(bind(ctx, retry))
    app.action(ActionId.RETURN_CHECK_BOOKING)(bind(ctx, retry))  # Retry looks a booking up by the RMA first
    app.action(ActionId.RETURN_BOOK_AGAIN)(bind(ctx, book_again))
    app.action(ActionId.SHOW_ORDER)(bind(ctx, show_order))
    app.command("/return")(bind(ctx, return_command))
    app.command("/returns")(bind(ctx, returns_command))


def return_command(ctx: BotContext, ack: Ack, command: Payload, respond: Respond, client: WebClient) -> None:
    words = command.get("text", "").split()
    instant = bool(words) and words[-1].lower() == "instant"
    query = " ".join(words[:-1] if instant else words)
    try:
        lookup.parse_query(query)  # cheap: bad input is answered in the ack itself
    except UserError as exc:
        ack(text=f"{escape(exc.message.replace('/order', '/return'))} {USAGE}")
        return
    user, channel = command["user_id"], command["channel_id"]
    if instant:
        job = partial(flow.instant_from_command, ctx, client, respond, query, user, channel)
    else:
        job = partial(flow.form_from_command, ctx, client, respond, query, user, channel, command["trigger_id"])
    queue(ctx.worker, ack, respond, escaping(job), busy_in_ack=True)


def returns_command(ctx: BotContext, ack: Ack, command: Payload, respond: Respond) -> None:
    which = (command.get("text") or "open").strip().lower()
    if which not in returns.LISTS:
        ack(text=LISTS)
        return
    queue(ctx.worker, ack, respond, escaping(partial(flow.show_returns, ctx, respond, which, command["user_id"])),
          busy_in_ack=True)  # fmt: skip


def return_menu(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    choice, _, order_id = action["selected_option"]["value"].partition("|")
    channel, user = body["channel"]["id"], body["user"]["id"]
    thread_ts = body["container"].get("thread_ts") or body["container"]["message_ts"]
    if choice == ReturnMenu.EDIT:
        job = partial(flow.form_for_order, ctx, client, body["trigger_id"], order_id, channel, thread_ts)
    else:
        job = partial(flow.instant_for_order, ctx, client, order_id, user, channel, thread_ts)
    queue(ctx.worker, ack, respond, escaping(job))


def submit_return_form(ctx: BotContext, ack: Ack, body: Payload, view: Payload, client: WebClient) -> None:
    try:
        meta = ReturnFormMeta.from_json(view.get("private_metadata", ""))
    except ValueError:
        ack(response_action="update", view=message_modal(TITLE, FORGED))
        return
    form, errors = read_form(view["state"]["values"], meta, ctx.services.clock().date())
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=message_modal(TITLE, "⏳ Creating the return label…"))
    job = partial(flow.submit_form, ctx, client, view["id"], meta, form, body["user"]["id"])
    if not ctx.worker.submit(job):  # a view submission has no response_url: the busy note goes into the modal
        client.views_update(view_id=view["id"], view=message_modal(TITLE, BUSY))


def email_again(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    # the press's trigger_id is its idempotency: pressed again sends again, one press redelivered sends once
    job = partial(flow.email_again, ctx, client, action["value"], body["trigger_id"], _clicked(body))
    queue(ctx.worker, ack, respond, escaping(job))


def email_elsewhere(
    ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient
) -> None:
    job = partial(flow.open_email_form, ctx, client, body["trigger_id"], action["value"])
    queue(ctx.worker, ack, respond, escaping(job))


def submit_email_form(ctx: BotContext, ack: Ack, view: Payload, client: WebClient) -> None:
    try:
        meta = EmailFormMeta.from_json(view.get("private_metadata", ""))
    except ValueError:
        ack(response_action="update", view=message_modal("E-mail label", FORGED))
        return
    address, errors = read_email(view["state"]["values"])
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=message_modal("E-mail label", f"⏳ Sending the label to {escape(address)}…"))
    if not ctx.worker.submit(partial(flow.email_elsewhere, ctx, client, view["id"], meta.rma, address)):
        client.views_update(view_id=view["id"], view=message_modal("E-mail label", BUSY))


def void_label(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    job = partial(flow.void, ctx, client, action["value"], body["user"]["id"], _clicked(body))
    queue(ctx.worker, ack, respond, escaping(job))


def retry(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    job = partial(flow.finish, ctx, client, action["value"], body["container"]["message_ts"])
    queue(ctx.worker, ack, respond, escaping(job))


def book_again(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    """ "Booking unknown": the agent found no booking at the carrier and books the return once more."""
    job = partial(flow.finish, ctx, client, action["value"], body["container"]["message_ts"], book_again=True)
    queue(ctx.worker, ack, respond, escaping(job))


def show_order(ctx: BotContext, ack: Ack, body: Payload, action: Payload, respond: Respond, client: WebClient) -> None:
    job = partial(flow.post_card, ctx, client, respond, body["channel"]["id"], body["user"]["id"], action["value"])
    queue(ctx.worker, ack, respond, escaping(job))


def _clicked(body: Payload) -> flow.Clicked | None:
    """Where the pressed button's message is (None for an ephemeral one, which cannot be updated this way)."""
    container = body.get("container") or {}
    if container.get("is_ephemeral") or not container.get("message_ts") or not body.get("channel"):
        return None
    return (str(body["channel"]["id"]), str(container["message_ts"]))
