"""Where refund requests are shown in Slack: before the team leads in the approvals channel (the message updated in
place as the request moves on) and in the order's thread; and the refunds a stopped instance left unfinished."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.common.blocks import Block
from bot.common.context import BotContext
from bot.common.ids import BlockId
from bot.common.replies import cannot_post_reason
from bot.refunds.kinds import describer_of
from bot.refunds.messages import (
    approval_message,
    not_posted_message,
    pending_text,
    refund_facts,
    submitted_text,
    thread_message,
)
from commands import lookup, refund_decisions
from commands.errors import UserError
from commands.refunds import RefundRequestView, Requested, get_request
from domain.refunds import RefundStatus, RequestKind

log = logging.getLogger(__name__)



def lead_check(ctx: BotContext, client: WebClient, user: str) -> Callable[[], bool]:
    """Whether `user` is a team lead, asked of Slack only when a workflow needs to know."""
    return partial(ctx.refunds.approvers.may_approve, client, user)


def ask_leads(ctx: BotContext, client: WebClient, request: RefundRequestView, customer: str) -> None:
    """A new request: before the team leads, and the thread says it waits (or why it could not be posted)."""
    problem = post_for_approval(ctx, client, request, customer)
    if problem is None:
        reply_in_thread(ctx, client, request)
    else:
        text, blocks = not_posted_message(request, problem)
        _post_in_thread(client, request, text, blocks)


def proceed(ctx: BotContext, client: WebClient, requested: Requested, user: str) -> str:
    """A request a form has just made, of any kind: carried out at once within the auto-approve limit, else put
    before the team leads. Returns what the form's modal says of it."""
    request = requested.request
    if requested.blocked:
        return pending_text(request)
    if requested.created and request.status is RefundStatus.APPROVED:  # within the limit: no team lead needed
        executed = refund_decisions.execute(ctx.services, request.id, actor=user)
        if executed.ran:
            report(ctx, client, executed.request)
    elif requested.created:
        ask_leads(ctx, client, request, requested.customer)
    return submitted_text(get_request(ctx.services, request.id))


def post_for_approval(ctx: BotContext, client: WebClient, request: RefundRequestView, customer: str) -> str | None:
    """Post the request with Approve and Reject; None when posted, else why it could not be (the request stays
    pending, and the thread offers to post it again)."""
    channel = ctx.refunds.approvals_channel
    if not channel:
        return "no approvals channel is configured (APPROVALS_CHANNEL)"
    facts = refund_facts(request, customer=customer, thread_link=thread_link(client, request))
    text, blocks = approval_message(request, facts, approvers_known=ctx.refunds.approvers.configured)
    try:
        ts = str(client.chat_postMessage(channel=channel, text=text, blocks=blocks)["ts"])
    except SlackApiError as exc:
        reason = cannot_post_reason(exc)
        if reason is None:
            raise
        return f"in <#{channel}>, {reason}"
    if not refund_decisions.remember_approval_message(ctx.services, request.id, channel=channel, ts=ts):
        # posted twice (the repost button pressed twice): keep the first message, remove this one
        client.chat_delete(channel=channel, ts=ts)
    return None


def report(ctx: BotContext, client: WebClient, request: RefundRequestView, clicked: Block | None = None) -> None:
    """The request's new state, wherever it is shown."""
    update_approval(ctx, client, request, clicked)
    reply_in_thread(ctx, client, request)
    if request.kind is not RequestKind.REFUND and (after := describer_of(request.kind).after) is not None:
        after(ctx, client, request)


def facts_for(ctx: BotContext, client: WebClient, request: RefundRequestView, message: Block | None = None) -> Block:
    """The facts block of the approval message clicked; rebuilt (reading the customer from the store) when the
    click came from elsewhere, such as the order's thread or the reject form."""
    for block in (message or {}).get("blocks", []):
        if block.get("block_id") == BlockId.REFUND_FACTS:
            return dict(block)
    try:
        order = lookup.get_order(ctx.services, request.order_id)
        customer = order.customer_name or order.email
    except UserError:
        customer = ""
    return refund_facts(request, customer=customer, thread_link=thread_link(client, request))


def update_approval(
    ctx: BotContext, client: WebClient, request: RefundRequestView, clicked: Block | None = None
) -> None:
    """Show the request's state on its approval message, when it has one. `clicked`: the message whose button
    was pressed; its facts are reused, so that only a click from elsewhere reads the store for them."""
    if not request.slack_approval_ts:
        return
    text, blocks = approval_message(request, facts_for(ctx, client, request, clicked))
    try:
        client.chat_update(
            channel=request.slack_approval_channel, ts=request.slack_approval_ts, text=text, blocks=blocks
        )
    except SlackApiError as exc:
        log.warning("could not update the approval message of refund request %s: %s", request.id, exc)


def reply_in_thread(ctx: BotContext, client: WebClient, request: RefundRequestView) -> None:
    text, blocks = thread_message(request, approvals_channel=ctx.refunds.approvals_channel)
    _post_in_thread(client, request, text, blocks)


def _post_in_thread(client: WebClient, request: RefundRequestView, text: str, blocks: list[Block]) -> None:
    if not request.slack_channel:
        return
    try:
        client.chat_postMessage(
            channel=request.slack_channel, thread_ts=request.slack_thread_ts, text=text, blocks=blocks
        )
    except SlackApiError as exc:
        # the refund itself is recorded; a thread the bot cannot write to must not hide its outcome elsewhere
        log.warning("could not report refund request %s in its thread: %s", request.id, exc)


def thread_link(client: WebClient, request: RefundRequestView) -> str | None:
    """The order card's permalink (its thread holds the request's story)."""
    if not (request.slack_channel and request.slack_thread_ts):
        return None
    try:
        found = client.chat_getPermalink(channel=request.slack_channel, message_ts=request.slack_thread_ts)
        return str(found["permalink"])
    except SlackApiError:
        return None
