"""The Home tab: the person's open returns with their state and age, overdue ones first (with Mark received); for
team leads, the refunds waiting for approval with Approve and Reject (the refunds' own buttons and handlers).

Published with views.publish whenever the person opens the tab (`app_home_opened`), and again after a button on
it was pressed, with a line on top saying what happened (a Home tab has no ephemeral messages).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from slack_sdk import WebClient

from bot.common.blocks import Block, context, date, escape, plain, section
from bot.common.context import BotContext
from bot.common.ids import ActionId, BlockId
from bot.lifecycle.views import items_text, receivable, receive_button, state_text
from commands import return_cases, return_lifecycle
from commands.return_cases import Case
from commands.tick import RefundSummary, refunds_waiting

log = logging.getLogger(__name__)


MAX_HOME_RETURNS = 40  # one block each
MAX_HOME_REFUNDS = 20  # two blocks each: with the headers, within a Home tab's 100 blocks


def publish_home(ctx: BotContext, client: WebClient, user: str, notice: str = "") -> None:
    services = ctx.services
    now = services.clock()
    cases = return_cases.open_cases_of(services, user)
    approvers = ctx.refunds.approvers
    waiting = refunds_waiting(services) if approvers.configured and approvers.may_approve(client, user) else None
    view = home_view(cases, now, overdue_days=ctx.overdue_days, refunds=waiting, notice=notice)
    client.views_publish(user_id=user, view=view)


def home_view(
    cases: Sequence[Case], now: datetime, *, overdue_days: int, refunds: Sequence[RefundSummary] | None = None,
    notice: str = "",
) -> Block:  # fmt: skip
    """`refunds`: the requests waiting for a team lead, for a lead (None for anyone else)."""
    blocks: list[Block] = []
    if notice:
        blocks.append(section(notice, BlockId.HOME_NOTICE))
    blocks.append({"type": "header", "text": plain("Your open returns", 150)})
    ages = {c.rma: return_lifecycle.age_days(c, now) for c in cases}
    ordered = sorted(cases, key=lambda c: -ages[c.rma])  # the oldest on top: the overdue ones come first
    if not ordered:
        blocks.append(section("You have no open returns. Returns you start with `/return` show here."))
    for case in ordered[:MAX_HOME_RETURNS]:
        overdue = " · ⚠️ *overdue*" if ages[case.rma] >= overdue_days else ""
        block = section(
            f"*{escape(case.rma)}* · {escape(case.order_name)} · {state_text(case, now)}{overdue}\n{items_text(case)}"
        )
        if receivable(case):
            block["accessory"] = receive_button(case.rma, primary=False)
        blocks.append(block)
    if len(ordered) > MAX_HOME_RETURNS:
        blocks.append(context(f"…and {len(ordered) - MAX_HOME_RETURNS} more: `/returns mine` lists them."))
    if refunds is not None:
        blocks += [{"type": "divider"}, {"type": "header", "text": plain("Refunds waiting for approval", 150)}]
        if not refunds:
            blocks.append(section("No refund is waiting for a team lead."))
        for refund in refunds[:MAX_HOME_REFUNDS]:
            blocks += _refund_blocks(refund, now)
        if len(refunds) > MAX_HOME_REFUNDS:
            blocks.append(context(f"…and {len(refunds) - MAX_HOME_REFUNDS} more in the approvals channel."))
    blocks.append(context(f"Updated {date(now)}"))
    return {"type": "home", "blocks": blocks}


def _refund_blocks(refund: RefundSummary, now: datetime) -> list[Block]:
    value = str(refund.id)
    days = (now - refund.created_at).days
    since = "today" if days <= 0 else f"{days} day{'s' if days != 1 else ''} ago"
    facts = section(
        f"*Refund request #{refund.id}* · {escape(refund.order_name)} · {escape(refund.amount)}\n"
        f"Asked for by <@{refund.requested_by}> {since}"
    )
    buttons = {
        "type": "actions",
        "block_id": f"home_refund_{refund.id}",
        "elements": [
            {"type": "button", "action_id": ActionId.REFUND_APPROVE, "value": value, "style": "primary",
             "text": plain("Approve", 75)},
            {"type": "button", "action_id": ActionId.REFUND_REJECT, "value": value, "style": "danger",
             "text": plain("Reject", 75)},
        ],
    }  # fmt: skip
    return [facts, buttons]
