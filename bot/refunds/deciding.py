"""The team leads' side of a refund, on the worker pool: Approve (and the refund), Reject with a reason, Retry of a
failed refund, and posting a request again when the approvals channel refused it. Who may do what is decided in
commands.refund_decisions; this module says it in Slack."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.common.blocks import Block
from bot.common.context import BotContext
from bot.common.replies import Tell
from bot.refunds import flow
from bot.refunds.messages import decided_already, not_posted_message, refusal_text, reject_modal, thread_message
from commands import lookup, refund_decisions, refunds


def approve_request(
    ctx: BotContext, client: WebClient, tell: Tell, request_id: int, user: str, message: Block | None
) -> None:
    decided = refund_decisions.approve(ctx.services, request_id, user=user, is_lead=flow.lead_check(ctx, client, user))
    if decided.refusal is not None:
        tell(refusal_text(decided.refusal, decided.request))
        return
    flow.update_approval(ctx, client, decided.request, message)
    executed = refund_decisions.execute(ctx.services, request_id, actor=user)
    if executed.ran:  # else another click or instance runs it, and reports it
        flow.report(ctx, client, executed.request, message)


def ask_reject_reason(
    ctx: BotContext, client: WebClient, tell: Tell, request_id: int, user: str, trigger_id: str
) -> None:
    is_lead = flow.lead_check(ctx, client, user)
    allowed = refund_decisions.may_decide(ctx.services, request_id, user=user, is_lead=is_lead)
    if allowed.refusal is not None:
        tell(refusal_text(allowed.refusal, allowed.request))
        return
    client.views_open(trigger_id=trigger_id, view=reject_modal(allowed.request))


def reject_request(ctx: BotContext, client: WebClient, request_id: int, user: str, reason: str) -> None:
    decided = refund_decisions.reject(
        ctx.services, request_id, user=user, reason=reason, is_lead=flow.lead_check(ctx, client, user)
    )
    if decided.refusal is None:
        flow.report(ctx, client, decided.request)
        return
    # the modal is closed: the only way left to tell is an ephemeral message where the buttons are
    channel = decided.request.slack_approval_channel or ctx.refunds.approvals_channel
    if channel:
        client.chat_postEphemeral(channel=channel, user=user, text=refusal_text(decided.refusal, decided.request))


def retry_request(
    ctx: BotContext, client: WebClient, tell: Tell, request_id: int, user: str, message: Block | None
) -> None:
    executed = refund_decisions.execute(
        ctx.services, request_id, actor=user, retry=True, is_lead=flow.lead_check(ctx, client, user)
    )
    if executed.refusal is not None:
        tell(refusal_text(executed.refusal, executed.request))
    elif not executed.ran:
        tell(decided_already(executed.request))
    else:
        flow.report(ctx, client, executed.request, message)


def repost_request(
    ctx: BotContext, client: WebClient, tell: Tell, request_id: int, channel: str, ts: str
) -> None:
    allowed = refund_decisions.may_repost(ctx.services, request_id)
    if allowed.refusal is not None:
        tell(refusal_text(allowed.refusal, allowed.request))
        return
    order = lookup.get_order(ctx.services, allowed.request.order_id)
    problem = flow.post_for_approval(ctx, client, allowed.request, order.customer_name or order.email)
    if problem is None:
        request = refunds.get_request(ctx.services, request_id)
        text, blocks = thread_message(request, approvals_channel=ctx.refunds.approvals_channel)
    else:
        text, blocks = not_posted_message(allowed.request, problem)
    client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
