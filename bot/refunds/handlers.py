"""Refunds: the card's Refund button, `/refund <order> [amount]`, the refund modal (its total follows the
choices), and the approval message's Approve, Reject and Retry."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from functools import partial

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.common.context import BotContext
from bot.common.ids import ActionId, BlockId, CallbackId, refund_line_block_id
from bot.common.replies import BUSY, in_background
from bot.refunds import flow as refund_flow
from bot.refunds.views import (
    decided_already,
    not_posted_message,
    refund_metadata,
    refund_modal,
    reject_modal,
    thread_message,
)
from bot.returns.handlers import open_loading, post_order_card
from bot.returns.views import message_modal
from commands import lookup, refunds
from commands.errors import UserError
from domain.money import Money
from domain.orders import Order, OrderRef
from storage import refunds as states
from storage.refunds import Outcome, RefundRequestView

log = logging.getLogger(__name__)

TITLE = "Refund"
ONLY_LEADS = "Only team leads can approve or reject refunds."
OWN_REQUEST = "You asked for this refund, so another team lead has to decide it."
USAGE = "Use `/refund <order> [amount]`, e.g. `/refund #1001` or `/refund #1001 25.50`."


def register(app: App, ctx: BotContext) -> None:
    def queue(ack: Ack, respond: Respond, job) -> None:
        ack()
        if not in_background(ctx.worker, respond, job):
            respond(text=BUSY, response_type="ephemeral", replace_original=False)

    @app.action(ActionId.REFUND_OPEN)
    def open_from_card(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        thread_ts = body["container"].get("thread_ts") or body["container"]["message_ts"]
        job = partial(open_form, ctx, client, body["trigger_id"], action["value"], body["channel"]["id"], thread_ts)
        queue(ack, respond, job)

    @app.command("/refund")
    def refund_command(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        try:
            query, amount = split_command(command.get("text", ""))
            lookup.parse_query(query)
        except UserError as exc:
            ack(text=exc.message.replace("/order", "/refund"))
            return
        job = partial(
            from_command, ctx, client, respond, query, amount, command["user_id"], command["channel_id"],
            command["trigger_id"],
        )  # fmt: skip
        if in_background(ctx.worker, respond, job):
            ack()
        else:
            ack(text=BUSY)

    @app.action(ActionId.REFUND_QUANTITY)
    @app.action(ActionId.REFUND_RECALC)
    def recalculate(ack: Ack, body: dict, client: WebClient) -> None:
        ack()
        ctx.worker.submit(partial(show_total, ctx, client, body["view"]))  # a total not shown is harmless

    @app.view(CallbackId.REFUND_MODAL)
    def submit(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        meta = json.loads(view["private_metadata"])
        form, errors = read_form(view["state"]["values"], meta)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=message_modal(TITLE, "⏳ Sending the refund…"))
        job = partial(submit_in_background, ctx, client, view["id"], meta, form, body["user"]["id"])
        if not ctx.worker.submit(job):
            client.views_update(view_id=view["id"], view=message_modal(TITLE, BUSY))

    @app.action(ActionId.REFUND_APPROVE)
    def approve(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        job = partial(approve_request, ctx, client, respond, int(action["value"]), body["user"]["id"], body["message"])
        queue(ack, respond, job)

    @app.action(ActionId.REFUND_REJECT)
    def reject(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        job = partial(ask_reject_reason, ctx, client, respond, int(action["value"]), body)
        queue(ack, respond, job)

    @app.view(CallbackId.REFUND_REJECT_MODAL)
    def submit_reject(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        meta = json.loads(view["private_metadata"])
        reason = (_value(view["state"]["values"], BlockId.F_REJECT_REASON).get("value") or "").strip()
        if not reason:
            ack(response_action="errors", errors={BlockId.F_REJECT_REASON: "Say why: the agent will read it."})
            return
        ack()
        ctx.worker.submit(partial(reject_request, ctx, client, meta, body["user"]["id"], reason))

    @app.action(ActionId.REFUND_RETRY)
    def retry(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        job = partial(retry_request, ctx, client, respond, int(action["value"]), body["user"]["id"], body["message"])
        queue(ack, respond, job)

    @app.action(ActionId.REFUND_REPOST)
    def repost(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        job = partial(repost_request, ctx, client, respond, int(action["value"]), body)
        queue(ack, respond, job)


# -- opening the form ------------------------------------------------------------------------------


def split_command(text: str) -> tuple[str, str]:
    """`#1001 25,50` -> ("#1001", "25,50"): a last word that looks like an amount is the amount."""
    words = text.split()
    if len(words) >= 2 and any(ch.isdigit() for ch in words[-1]) and set(words[-1]) <= set("0123456789.,€"):
        return " ".join(words[:-1]), words[-1]
    if not words:
        raise UserError(USAGE)
    return text, ""


def open_form(ctx: BotContext, client: WebClient, trigger_id: str, order_id: str, channel: str, thread: str) -> None:
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        show_form(ctx, client, view_id, lookup.get_order(ctx.services, order_id), channel, thread)
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal(TITLE, exc.message))


def from_command(
    ctx: BotContext, client: WebClient, respond: Respond, query: str, amount: str, user: str, channel: str,
    trigger_id: str,
) -> None:  # fmt: skip
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        order = lookup.single_order(ctx.services, query)
        opened = refunds.options_for(ctx.services, order)  # says at once when nothing can be refunded
        form = refunds.default_form(opened, _parse_amount(amount, order.currency, strict=True) if amount else None)
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal(TITLE, exc.message))
        return
    card_ts = post_order_card(ctx, client, respond, channel, user, order)
    if card_ts is None:
        client.views_update(view_id=view_id, view=message_modal(TITLE, "I can't post in this channel: see above."))
        return
    _fill(ctx, client, view_id, opened, form, channel, card_ts)


def show_form(ctx: BotContext, client: WebClient, view_id: str, order: Order, channel: str, thread: str) -> None:
    opened = refunds.options_for(ctx.services, order)
    _fill(ctx, client, view_id, opened, refunds.default_form(opened), channel, thread)


def _fill(
    ctx: BotContext, client: WebClient, view_id: str, opened: refunds.RefundOptions, form: refunds.RefundForm,
    channel: str, thread: str,
) -> None:  # fmt: skip
    order, ceilings = opened.order, opened.quote
    meta = refund_metadata(
        order_id=order.ref.id, order_name=order.name, customer=order.customer_name or order.email, channel=channel,
        thread_ts=thread, currency=ceilings.currency, maximum=ceilings.maximum.amount,
        shipping=ceilings.shipping_refundable.amount, rma=opened.from_return, can_notify=opened.can_notify,
        lines=[(li.line_item_id, li.refundable_quantity, li.name, li.fulfilled_quantity, li.unit_refund.amount)
               for li in ceilings.lines if li.refundable_quantity > 0],
    )  # fmt: skip
    total = _total(ctx, meta, form)
    client.views_update(view_id=view_id, view=refund_modal(meta, form, total, auto_limit=_limit(ctx)))


def show_total(ctx: BotContext, client: WebClient, view: dict) -> None:
    """Redraw the form with the store's total for what is chosen now."""
    meta = json.loads(view["private_metadata"])
    form, errors = read_form(view["state"]["values"], meta)
    total = None if errors else _total(ctx, meta, form)
    try:
        client.views_update(
            view_id=view["id"], hash=view["hash"], view=refund_modal(meta, form, total, auto_limit=_limit(ctx))
        )
    except SlackApiError as exc:
        if exc.response.get("error") != "hash_conflict":  # the agent changed something again: that redraw wins
            raise


def _total(ctx: BotContext, meta: dict, form: refunds.RefundForm) -> Money | None:
    if not any(form.quantities.values()) and form.shipping == 0:
        return None
    try:
        priced = refunds.quote(ctx.services, meta["o"], form, _shipped(meta))
    except UserError:
        log.warning("could not price the refund of %s", meta["n"], exc_info=True)
        return None
    return refunds.total_of(form, priced)


def _shipped(meta: dict) -> dict[str, int]:
    return {line_id: shipped for line_id, _most, _name, shipped, _unit in meta["l"]}


def _limit(ctx: BotContext) -> Decimal:
    return ctx.refunds.policy.auto_approve_limit


# -- the form submitted ----------------------------------------------------------------------------


def submit_in_background(
    ctx: BotContext, client: WebClient, view_id: str, meta: dict, form: refunds.RefundForm, user: str
) -> None:
    try:
        requested = refunds.request_refund(
            ctx.services, ctx.refunds.policy, OrderRef(meta["o"], meta["n"]), form, shipped=_shipped(meta),
            requester=user, submission_key=f"slack-view:{view_id}", channel=meta["c"], thread_ts=meta["t"],
        )  # fmt: skip
        request = requested.request
        if requested.created:
            request = refund_flow.announce(ctx, client, request, meta["w"])
        text = submitted_text(states.get(ctx.services.db, request.id))
    except UserError as exc:
        text = f"⚠️ {exc.message}"
    client.views_update(view_id=view_id, view=message_modal(TITLE, text))


def submitted_text(request: RefundRequestView) -> str:
    amount = Money(request.amount, request.currency)
    match request.status:
        case states.PENDING_APPROVAL if request.slack_approval_ts:
            return f"✅ Refund request #{request.id} for {amount} is with the team leads. The order's thread shows it."
        case states.PENDING_APPROVAL:
            return (
                f"⚠️ Refund request #{request.id} for {amount} is saved but not yet before a team lead: see the thread."
            )
        case states.SUCCEEDED:
            return f"✅ Refunded {amount} to the customer."
        case states.FAILED:
            return f"⚠️ The refund of {amount} failed: {request.failure}\nRetry is in the order's thread."
        case _:
            return f"Refund request #{request.id} for {amount}: {request.status.replace('_', ' ')}."


# -- deciding --------------------------------------------------------------------------------------


def approve_request(
    ctx: BotContext, client: WebClient, respond: Respond, request_id: int, user: str, message: dict
) -> None:
    request = states.get(ctx.services.db, request_id)
    if user != request.requested_by and not ctx.refunds.approvers.may_approve(client, user):
        _tell(respond, ONLY_LEADS)
        return
    decided = refunds.approve(ctx.services, request_id, user=user)
    if not decided.won:
        _tell(respond, OWN_REQUEST if decided.outcome is Outcome.SELF_APPROVAL else decided_already(decided.request))
        return
    refund_flow.update_approval(ctx, client, decided.request, message)
    refund_flow.run(ctx, client, request_id, user, message)


def ask_reject_reason(ctx: BotContext, client: WebClient, respond: Respond, request_id: int, body: dict) -> None:
    user = body["user"]["id"]
    request = states.get(ctx.services.db, request_id)
    problem = _cannot_decide(ctx, client, request, user)
    if problem:
        _tell(respond, problem)
        return
    facts = refund_flow.facts_for(ctx, client, request, body["message"])
    meta = {"id": request_id, "f": facts}
    client.views_open(trigger_id=body["trigger_id"], view=reject_modal(request, meta))


def reject_request(ctx: BotContext, client: WebClient, meta: dict, user: str, reason: str) -> None:
    request = states.get(ctx.services.db, int(meta["id"]))
    problem = _cannot_decide(ctx, client, request, user)
    if problem is None:
        decided = refunds.reject(ctx.services, request.id, user=user, reason=reason)
        if decided.won:
            refund_flow.update_approval(ctx, client, decided.request, {"blocks": [meta["f"]]})
            refund_flow.reply_in_thread(ctx, client, decided.request)
            return
        problem = OWN_REQUEST if decided.outcome is Outcome.SELF_APPROVAL else decided_already(decided.request)
    # the modal is closed: the only way left to tell is an ephemeral message where the buttons are
    channel = request.slack_approval_channel or ctx.refunds.approvals_channel
    if channel:
        client.chat_postEphemeral(channel=channel, user=user, text=problem)


def retry_request(
    ctx: BotContext, client: WebClient, respond: Respond, request_id: int, user: str, message: dict
) -> None:
    request = states.get(ctx.services.db, request_id)
    if request.status != states.FAILED:
        _tell(respond, decided_already(request))
        return
    request = refund_flow.run(ctx, client, request_id, user, message)
    if request.status == states.EXECUTING:
        _tell(respond, decided_already(request))


def repost_request(ctx: BotContext, client: WebClient, respond: Respond, request_id: int, body: dict) -> None:
    request = states.get(ctx.services.db, request_id)
    if request.status != states.PENDING_APPROVAL or request.slack_approval_ts:
        _tell(respond, f"Refund request #{request.id} is already before the team leads.")
        return
    order = lookup.get_order(ctx.services, request.order_id)
    problem = refund_flow.post_for_approval(ctx, client, request, order.customer_name or order.email)
    channel, ts = body["channel"]["id"], body["container"]["message_ts"]
    if problem is None:
        request = states.get(ctx.services.db, request_id)
        text, blocks = thread_message(request, approvals_channel=ctx.refunds.approvals_channel)
    else:
        text, blocks = not_posted_message(request, problem)
    client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def _cannot_decide(ctx: BotContext, client: WebClient, request: RefundRequestView, user: str) -> str | None:
    if request.status != states.PENDING_APPROVAL:
        return decided_already(request)
    if user == request.requested_by:
        return OWN_REQUEST
    if not ctx.refunds.approvers.may_approve(client, user):
        return ONLY_LEADS
    return None


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


# -- reading the modal -----------------------------------------------------------------------------


def _value(values: dict, block: str, action: str = ActionId.REFUND_FIELD) -> dict:
    return values.get(block, {}).get(action, {})


def read_form(values: dict, meta: dict) -> tuple[refunds.RefundForm, dict[str, str]]:
    """The submitted form and its errors by block id, checked without I/O (the ack must be quick)."""
    cur = meta["cur"]
    errors: dict[str, str] = {}
    quantities: dict[str, int] = {}
    for index, (line_id, *_rest) in enumerate(meta["l"]):
        chosen = _value(values, refund_line_block_id(index), ActionId.REFUND_QUANTITY).get("selected_option")
        quantities[line_id] = int((chosen or {}).get("value", 0))
    shipping_text = _value(values, BlockId.F_SHIPPING, ActionId.REFUND_RECALC).get("value") or ""
    shipping = Decimal(0)
    if shipping_text.strip() not in ("", "0"):
        try:
            shipping = _parse_amount(shipping_text, cur)
        except UserError as exc:
            errors[BlockId.F_SHIPPING] = exc.message
    amount_text = _value(values, BlockId.F_AMOUNT).get("value") or ""
    amount = None
    if amount_text.strip():
        try:
            amount = _parse_amount(amount_text, cur)
        except UserError as exc:
            errors[BlockId.F_AMOUNT] = exc.message
    form = refunds.RefundForm(
        quantities=quantities, shipping=shipping, amount=amount,
        restock=bool(_value(values, BlockId.F_RESTOCK, ActionId.REFUND_RECALC).get("selected_options")),
        reason=(_value(values, BlockId.F_REASON).get("selected_option") or {}).get("value", ""),
        note=(_value(values, BlockId.F_NOTE).get("value") or "").strip(),
        notify_customer=bool(_value(values, BlockId.F_NOTIFY).get("selected_options")),
    )  # fmt: skip
    limits = refunds.Limits(
        currency=cur, lines={line_id: (most, name) for line_id, most, name, *_ in meta["l"]},
        shipping=Decimal(meta["sh"]), maximum=Decimal(meta["max"]),
    )  # fmt: skip
    blocks = {line_id: refund_line_block_id(i) for i, (line_id, *_rest) in enumerate(meta["l"])}
    first = refund_line_block_id(0) if meta["l"] else BlockId.F_SHIPPING
    fields = {"lines": first, "shipping": BlockId.F_SHIPPING, "amount": BlockId.F_AMOUNT,
              "reason": BlockId.F_REASON, "note": BlockId.F_NOTE}  # fmt: skip
    for field, message in refunds.check_form(form, limits).items():
        block = blocks.get(field.removeprefix("line:")) if field.startswith("line:") else fields.get(field)
        if block:
            errors.setdefault(block, message)
    return form, errors


def _parse_amount(text: str, currency: str, *, strict: bool = False) -> Decimal:
    try:
        return refunds.parse_amount(text, currency)
    except ValueError as exc:
        raise UserError(str(exc) + (f" {USAGE}" if strict else "")) from None
