"""Ship exchange now, on the worker pool: who pressed is asked of the approvers (team leads only, as for refunds);
the exchange's replacement is made once (commands.exchanges) and told in the return's thread as any replacement
(bot.refunds.flow.report: "Replacement #1030 created for #1001 (exchange for R1001-1)", or the store's refusal
with Retry); the return's message loses the button."""

from __future__ import annotations

import logging

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.replies import FAILED
from bot.lifecycle.flow import refresh_status
from bot.refunds import flow as refund_flow
from commands import exchanges, returns
from commands.errors import UserError
from commands.refunds import RefundRequestView, RefundStatus

log = logging.getLogger(__name__)


def ship_now(ctx: BotContext, client: WebClient, respond: Respond, rma: str, user: str) -> None:
    def tell(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    try:
        is_lead = refund_flow.lead_check(ctx, client, user)()
        shipped = exchanges.ship_now(ctx.services, rma, user, is_lead=is_lead)
    except UserError as exc:
        tell(f"⚠️ {escape(exc.message)}")
        return
    except Exception:
        log.exception("shipping the exchange of %s failed", rma)
        tell(FAILED)
        return
    if shipped.ran:
        refund_flow.report(ctx, client, shipped.request)
    else:  # shipped before (a second press, or the receipt), or being shipped right now
        tell(f"The exchange of return *{escape(rma)}* was shipped already: {_state(shipped.request)}")
    refresh_status(ctx, client, returns.get_case(ctx.services.db, rma))


def _state(request: RefundRequestView) -> str:
    if request.status is RefundStatus.SUCCEEDED:
        return f"replacement {escape(str(request.result.get('name') or request.store_refund_id))} was made."
    if request.status is RefundStatus.FAILED:
        return f"the store refused it ({escape(request.failure)}); Retry is in the return's thread."
    return "it is being made right now."
