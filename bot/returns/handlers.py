"""Return labels: the order card's "Create return" menu, the return modal, `/return`, `/returns`, and
the buttons on a return's message (e-mail, void, retry)."""

from __future__ import annotations

import json
from datetime import date
from functools import partial

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.common.context import BotContext
from bot.common.ids import ActionId, BlockId, CallbackId, ReturnMenu, item_block_id
from bot.common.replies import BUSY, in_background, post_in_channel
from bot.orders.card import order_card_text
from bot.orders.handlers import card
from bot.returns.flow import finish, start_in_thread
from bot.returns.views import label_message, message_modal, return_modal, returns_list
from commands import lookup, returns
from commands.errors import UserError
from domain.orders import Address, Order

_ADDRESS_BLOCKS = {
    BlockId.R_NAME: "name", BlockId.R_STREET: "street", BlockId.R_ZIP: "postcode", BlockId.R_CITY: "city",
    BlockId.R_COUNTRY: "country",
}  # fmt: skip
_ERROR_BLOCKS = {
    "weight": BlockId.R_WEIGHT, "pickup_date": BlockId.R_PICKUP_DATE, "pickup_phone": BlockId.R_PICKUP_PHONE,
    "email": BlockId.R_EMAIL,
}  # fmt: skip


def register(app: App, ctx: BotContext) -> None:
    def queue(ack: Ack, respond: Respond, job) -> None:
        if in_background(ctx.worker, respond, job):
            ack()
        else:
            ack(text=BUSY)

    @app.action(ActionId.RETURN_MENU)
    def return_menu(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        ack()
        choice, _, order_id = action["selected_option"]["value"].partition("|")
        channel, user = body["channel"]["id"], body["user"]["id"]
        thread_ts = body["container"].get("thread_ts") or body["container"]["message_ts"]
        if choice == ReturnMenu.EDIT:
            job = partial(open_modal, ctx, client, body["trigger_id"], order_id, channel, thread_ts)
        else:
            job = partial(instant_for_order, ctx, client, order_id, user, channel, thread_ts)
        if not in_background(ctx.worker, respond, job):
            respond(text=BUSY, response_type="ephemeral", replace_original=False)

    @app.view(CallbackId.RETURN_MODAL)
    def submit(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        meta = json.loads(view["private_metadata"])
        form, errors = read_form(view["state"]["values"], meta)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=message_modal("Return", "⏳ Creating the return label…"))
        job = partial(submit_in_background, ctx, client, view["id"], meta, form, body["user"]["id"])
        if not ctx.worker.submit(job):
            client.views_update(view_id=view["id"], view=message_modal("Return", BUSY))

    @app.action(ActionId.RETURN_EMAIL)
    def email(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        job = partial(email_again, ctx, client, respond, action["value"], body)
        queue(ack, respond, job)

    @app.action(ActionId.RETURN_VOID)
    def void(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        job = partial(void_label, ctx, client, action["value"], body)
        queue(ack, respond, job)

    @app.action(ActionId.RETURN_RETRY)
    def retry(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        job = partial(finish, ctx, client, action["value"], body["container"]["message_ts"])
        queue(ack, respond, job)

    @app.action(ActionId.SHOW_ORDER)
    def show_order(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        job = partial(post_card, ctx, client, respond, body["channel"]["id"], body["user"]["id"], action["value"])
        queue(ack, respond, job)

    @app.command("/return")
    def return_command(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        words = command.get("text", "").split()
        is_instant = bool(words) and words[-1].lower() == "instant"
        query = " ".join(words[:-1] if is_instant else words)
        try:
            lookup.parse_query(query)
        except UserError as exc:
            ack(text=f"{exc.message.replace('/order', '/return')} Add `instant` to skip the form.")
            return
        job = partial(
            return_from_command, ctx, client, respond, query, is_instant, command["user_id"], command["channel_id"],
            command["trigger_id"],
        )  # fmt: skip
        queue(ack, respond, job)

    @app.command("/returns")
    def returns_command(ack: Ack, command: dict, respond: Respond) -> None:
        which = (command.get("text") or "open").strip().lower()
        if which not in ("open", "overdue", "mine"):
            ack(text="Use `/returns`, `/returns overdue` or `/returns mine`.")
            return
        queue(ack, respond, partial(show_returns, ctx, respond, which, command["user_id"]))


# -- the work, on the worker pool ------------------------------------------------------------------


def open_modal(ctx: BotContext, client: WebClient, trigger_id: str, order_id: str, channel: str, thread: str) -> None:
    fill_modal(ctx, client, open_loading(client, trigger_id), order_id, channel, thread)


def open_loading(client: WebClient, trigger_id: str, title: str = "Return") -> str:
    """Open the modal at once, while the trigger is fresh (about 3 s); the form follows."""
    return str(
        client.views_open(trigger_id=trigger_id, view=message_modal(title, "⏳ Reading the order…"))["view"]["id"]
    )


def fill_modal(ctx: BotContext, client: WebClient, view_id: str, order_id: str, channel: str, thread: str) -> None:
    try:
        draft = returns.draft_return(ctx.services, order_id)
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal("Return", exc.message))
        return
    show_form(client, view_id, draft, channel, thread)


def show_form(client: WebClient, view_id: str, draft: returns.ReturnDraft, channel: str, thread: str) -> None:
    meta = {"o": draft.order.ref.id, "c": channel, "t": thread, "e": bool(draft.order.email),
            "i": [[i.line_item_id, i.quantity, i.name] for i in draft.items[:20]]}  # fmt: skip
    client.views_update(view_id=view_id, view=return_modal(draft, returns.default_form(draft), meta))


def instant_for_order(ctx: BotContext, client: WebClient, order_id: str, user: str, channel: str, thread: str) -> None:
    instant(ctx, client, returns.draft_return(ctx.services, order_id), user, channel, thread)


def instant(
    ctx: BotContext, client: WebClient, draft: returns.ReturnDraft, user: str, channel: str, thread: str
) -> None:
    form = returns.default_form(draft)
    errors = returns.form_errors(draft, form, ctx.services.clock().date())
    if errors:
        raise UserError(" ".join(errors.values()) + " Use *Create return shipment* to fix it in the form.")
    start_in_thread(ctx, client, draft, form, user, channel, thread)


def submit_in_background(
    ctx: BotContext, client: WebClient, view_id: str, meta: dict, form: returns.ReturnForm, user: str
) -> None:
    try:
        draft = returns.draft_return(ctx.services, meta["o"])
        case = start_in_thread(ctx, client, draft, form, user, meta["c"], meta["t"])
        done = f"✅ Return *{case.rma}* has its label: it is in the order's thread."
        client.views_update(view_id=view_id, view=message_modal("Return", done))
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal("Return", f"⚠️ {exc.message}"))


def email_again(ctx: BotContext, client: WebClient, respond: Respond, rma: str, body: dict) -> None:
    to = returns.email_label(ctx.services, rma)
    case = returns.get_case(ctx.services.db, rma)
    text, blocks = label_message(case, to)
    client.chat_update(channel=body["channel"]["id"], ts=body["container"]["message_ts"], text=text, blocks=blocks)


def void_label(ctx: BotContext, client: WebClient, rma: str, body: dict) -> None:
    case = returns.void_label(ctx.services, rma, body["user"]["id"])
    text, blocks = label_message(case)
    client.chat_update(channel=body["channel"]["id"], ts=body["container"]["message_ts"], text=text, blocks=blocks)


def post_card(
    ctx: BotContext, client: WebClient, respond: Respond, channel: str, user: str, order_id: str
) -> str | None:
    return post_order_card(ctx, client, respond, channel, user, lookup.get_order(ctx.services, order_id))


def post_order_card(
    ctx: BotContext, client: WebClient, respond: Respond, channel: str, user: str, order: Order
) -> str | None:
    return post_in_channel(client, respond, channel, order_card_text(order), card(ctx, order, user))


def return_from_command(
    ctx: BotContext, client: WebClient, respond: Respond, query: str, is_instant: bool, user: str, channel: str,
    trigger_id: str,
) -> None:  # fmt: skip
    view_id = None if is_instant else open_loading(client, trigger_id)
    try:
        order = lookup.single_order(ctx.services, query)
        # one read of the order serves the check, the card and the return: says at once when nothing can return
        draft = returns.draft_for(ctx.services, order)
    except UserError as exc:
        if view_id is None:
            raise
        client.views_update(view_id=view_id, view=message_modal("Return", exc.message))
        return
    card_ts = post_order_card(ctx, client, respond, channel, user, order)
    if card_ts is None:
        return  # the bot may not post here: the agent was told why
    if view_id is None:
        instant(ctx, client, draft, user, channel, card_ts)
    else:
        show_form(client, view_id, draft, channel, card_ts)


def show_returns(ctx: BotContext, respond: Respond, which: str, user: str) -> None:
    days = ctx.overdue_days
    cases = returns.list_cases(ctx.services, which, user, days)
    title = {
        "open": "open returns",
        "overdue": f"returns open for more than {days} days",
        "mine": "open returns you started",
    }
    text, blocks = returns_list(cases, title[which], ctx.services.clock().date())
    respond(text=text, blocks=blocks, response_type="ephemeral")


# -- reading the modal -----------------------------------------------------------------------------


def _value(values: dict, block: str) -> dict:
    return values.get(block, {}).get(ActionId.RETURN_FIELD, {})


def read_form(values: dict, meta: dict) -> tuple[returns.ReturnForm, dict[str, str]]:
    """The submitted form and its errors by block id (checked without I/O: the ack must be quick)."""
    quantities, reasons = {}, {}
    errors: dict[str, str] = {}
    for index, (item_id, most, name) in enumerate(meta["i"]):
        chosen = values.get(item_block_id(index, "qty"), {}).get(ActionId.RETURN_ITEM_QUANTITY, {})
        quantity = int((chosen.get("selected_option") or {}).get("value", 0))
        if quantity > most:
            errors[item_block_id(index, "qty")] = f"At most {most} × {name} can be returned."
        quantities[item_id] = quantity
        reason = values.get(item_block_id(index, "reason"), {}).get(ActionId.RETURN_ITEM_REASON, {})
        reasons[item_id] = (reason.get("selected_option") or {}).get("value", returns.DEFAULT_REASON)
    if meta["i"] and sum(quantities.values()) == 0:
        errors[item_block_id(0, "qty")] = "Choose at least one item to return."
    text = {block: (_value(values, block).get("value") or "").strip() for block in _ADDRESS_BLOCKS}
    for block, part in _ADDRESS_BLOCKS.items():
        if not text[block]:
            errors[block] = f"The customer's {part} is needed on the label."
    delivery = (_value(values, BlockId.R_DELIVERY).get("selected_option") or {}).get("value", "drop_off")
    picked = _value(values, BlockId.R_PICKUP_DATE).get("selected_date")
    form = returns.ReturnForm(
        quantities=quantities, reasons=reasons,
        sender=Address(name=text[BlockId.R_NAME], address1=text[BlockId.R_STREET], zip=text[BlockId.R_ZIP],
                       city=text[BlockId.R_CITY], country=text[BlockId.R_COUNTRY].upper()),
        weight_grams=returns.parse_weight(_value(values, BlockId.R_WEIGHT).get("value") or ""),
        delivery=delivery, email_customer=bool(_value(values, BlockId.R_EMAIL).get("selected_options")),
        pickup_date=date.fromisoformat(picked) if picked else None,
        pickup_phone=(_value(values, BlockId.R_PICKUP_PHONE).get("value") or "").strip(),
    )  # fmt: skip
    limits = {item_id: (most, name) for item_id, most, name in meta["i"]}
    for field, message in returns.check_form(form, limits, has_email=meta["e"], today=date.today()).items():
        if field in _ERROR_BLOCKS:
            errors.setdefault(_ERROR_BLOCKS[field], message)
    return form, errors
