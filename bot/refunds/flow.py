"""Refunds in Slack: from a submitted form to a request before the team leads, and from a decision to the
refund, reported in the approvals channel (the message updated in place) and in the order's thread."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.common.context import BotContext
from bot.common.ids import BlockId
from bot.common.replies import cannot_post_reason
from bot.refunds.views import approval_message, not_posted_message, refund_facts, thread_message
from commands import lookup, refunds
from commands.errors import UserError
from storage import refunds as states
from storage.refunds import RefundRequestView

log = logging.getLogger(__name__)

# far beyond any store call's time budget: an attempt this old is not running any more
INTERRUPTED_AFTER_MINUTES = 10


def announce(ctx: BotContext, client: WebClient, request: RefundRequestView, customer: str) -> RefundRequestView:
    """A new request: before the team leads (and the thread says it waits), or refunded at once when it
    was approved automatically."""
    if request.status == states.APPROVED:
        return run(ctx, client, request.id, request.requested_by)
    problem = post_for_approval(ctx, client, request, customer)
    if problem is None:
        reply_in_thread(ctx, client, request)
    else:
        text, blocks = not_posted_message(request, problem)
        _post_in_thread(client, request, text, blocks)
    return request


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
    if not states.set_approval_message(ctx.services.db, request.id, channel=channel, ts=ts, at=ctx.services.clock()):
        # posted twice (the repost button pressed twice): keep the first message, remove this one
        client.chat_delete(channel=channel, ts=ts)
    return None


def run(
    ctx: BotContext, client: WebClient, request_id: int, actor: str, clicked: dict | None = None
) -> RefundRequestView:
    """Refund an approved (or failed) request once, and report the outcome wherever the request is shown."""
    ran, request = refunds.execute(ctx.services, request_id, actor=actor)
    if not ran:
        return request  # another click or instance runs it, and reports it
    update_approval(ctx, client, request, clicked)
    reply_in_thread(ctx, client, request)
    return request


def facts_for(ctx: BotContext, client: WebClient, request: RefundRequestView, message: dict | None = None) -> dict:
    """The facts block of the approval message clicked; rebuilt (reading the customer from the store) when the
    click came from elsewhere, such as the order's thread."""
    for block in (message or {}).get("blocks", []):
        if block.get("block_id") == BlockId.REFUND_FACTS:
            return block
    try:
        order = lookup.get_order(ctx.services, request.order_id)
        customer = order.customer_name or order.email
    except UserError:
        customer = ""
    return refund_facts(request, customer=customer, thread_link=thread_link(client, request))


def update_approval(
    ctx: BotContext, client: WebClient, request: RefundRequestView, clicked: dict | None = None
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


def _post_in_thread(client: WebClient, request: RefundRequestView, text: str, blocks: list) -> None:
    channel, thread = _thread_of(request)
    if not channel:
        return
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread, text=text, blocks=blocks)
    except SlackApiError as exc:
        # the refund itself is recorded; a thread the bot cannot write to must not hide its outcome elsewhere
        log.warning("could not report refund request %s in its thread: %s", request.id, exc)


def _thread_of(request: RefundRequestView) -> tuple[str, str]:
    return request.slack_channel, request.slack_thread_ts  # the order card's channel, and the card's ts


def thread_link(client: WebClient, request: RefundRequestView) -> str | None:
    channel, thread = _thread_of(request)
    if not (channel and thread):
        return None
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=thread)["permalink"])
    except SlackApiError:
        return None


def recover_interrupted(ctx: BotContext, client: WebClient, *, minutes: int = INTERRUPTED_AFTER_MINUTES) -> None:
    """At start: refunds left `executing` by a stopped instance become `failed`, and say so with Retry."""
    now = ctx.services.clock()
    for request in states.fail_interrupted(ctx.services.db, started_before=now - timedelta(minutes=minutes), at=now):
        log.warning("refund request %s was interrupted while refunding: marked failed, Retry is offered", request.id)
        update_approval(ctx, client, request)
        reply_in_thread(ctx, client, request)
