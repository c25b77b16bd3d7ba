"""How the approval messages (bot.refunds) speak of a cancellation request: the words of the kind."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.cancellations import flow as cancel_flow
from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.refunds.kinds import Describer
from commands import cancellations
from commands.refunds import RefundRequestView
from domain.cancellations import CancelRefund
from domain.refunds import RefundStatus


def _facts(request: RefundRequestView) -> list[str]:
    refund = CancelRefund(str(request.details.get("refund", CancelRefund.NONE)))
    items = ", ".join(f"{li.quantity} × {escape(li.name)}" for li in request.lines[:10])
    facts = [f"*Cancel the order:* {escape(request.reason)}", f"*Refund:* {escape(refund.words)}"]
    if items:
        facts.append(f"*Items:* {items}")
    if request.note:
        facts.append(f"*Staff note:* {escape(request.note)}")
    return facts


def _done(request: RefundRequestView) -> str:
    result: dict[str, Any] = dict(request.result)
    order = escape(str(result.get("order") or request.order_name))
    if result.get("running"):
        return f"The store is still cancelling {order}: I'll check again on the next tick and say so in the thread."
    parts = [escape(str(result.get("refunded") or "nothing refunded"))]
    parts.append("items restocked" if result.get("restocked") else "items not restocked")
    if result.get("voided"):
        parts.append(f"return labels voided first: {escape(', '.join(map(str, result['voided'])))}")
    if result.get("told") == "email":
        parts.append("the customer was e-mailed a cancellation notice in their language")
    elif result.get("told") == "store":
        parts.append("the store notified the customer")
    text = f"Order {order} cancelled: " + "; ".join(parts) + "."
    if result.get("mail_problem"):
        text += f" ⚠️ {escape(str(result['mail_problem']))}."
    return text


def _after(ctx: BotContext, client: WebClient, request: RefundRequestView) -> None:
    """Once a lead's approval has cancelled the order, its card shows it at once (not only at the next tick)."""
    if request.status is RefundStatus.SUCCEEDED and not request.result.get("running"):
        cancel_flow.redraw_card(ctx, client, cancellations.get(ctx.services, int(request.details["cancellation_id"])))


DESCRIBER = Describer(
    noun="Cancellation", facts=_facts, done=_done, working="cancelling the order…", after=_after
)
