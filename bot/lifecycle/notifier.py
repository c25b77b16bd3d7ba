"""What the scheduler's tick says in Slack: `SlackNotifier` is commands.tick's Notifier.

The tick calls each method under an operation key of its own (commands.tick), so a method may be retried after
a failure but never runs twice after it succeeded: each posts ONE message, and whatever else it does (reading a
permalink, refreshing the return's message) either comes before the post or may harmlessly run again. Slack's
`ratelimited` is waited out by the client's RateLimitErrorRetryHandler (bot.app.make_client), on the tick's
thread, never in an ack.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cancellations import flow as cancel_flow
from bot.common.blocks import section
from bot.common.context import BotContext
from bot.lifecycle.flow import announce_received, in_thread, refresh_status
from bot.lifecycle.views import digest_message, escalation_message, expired_message, reminder_message
from bot.refunds import flow as refund_flow
from bot.replacements.describe import shipped_text
from bot.returns import flow as return_flow
from bot.returns.views import working_text
from commands import return_lifecycle, returns
from commands.cancellation_run import Ran
from commands.cancellations import CancellationView
from commands.errors import UserError
from commands.refunds import RefundRequestView
from commands.replacement_tracking import ReplacementShipped
from commands.return_cases import Case
from commands.return_lifecycle import Received
from commands.tick import Digest

log = logging.getLogger(__name__)

MAX_DIGEST_LINKS = 30  # permalinks read for one digest (the digest lists at most a dozen per part)


class SlackNotifier:
    def __init__(self, client: WebClient, ctx: BotContext) -> None:
        self.client = client
        self.ctx = ctx

    def reminder(self, case: Case, *, customer_emailed_to: str | None) -> None:
        text, blocks = reminder_message(case, self.ctx.services.clock(), customer_emailed_to=customer_emailed_to)
        ts = in_thread(self.client, case, text, blocks)
        if ts:  # its buttons settle once the return is received or closed, wherever that is pressed
            return_lifecycle.set_reminder_message(self.ctx.services, case.rma, ts)
        refresh_status(self.ctx, self.client, case)  # its age, as of the reminder

    def escalation(self, case: Case, *, channel: str) -> None:
        link = self.permalink(case.slack_channel, case.slack_thread_ts)
        text, blocks = escalation_message(case, self.ctx.services.clock(), thread_link=link)
        self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)

    def expired(self, case: Case, *, label_voided: bool) -> None:
        refresh_status(self.ctx, self.client, case)
        text, blocks = expired_message(case, self.ctx.services.clock(), label_voided=label_voided)
        in_thread(self.client, case, text, blocks)

    def received(self, received: Received) -> None:
        """Received by the carrier's tracking or in Shopify's admin: said as a receipt in Slack is."""
        announce_received(self.ctx, self.client, received)

    def digest(self, digest: Digest, *, channel: str) -> None:
        linked = [*digest.overdue, *digest.received_unresolved, *digest.open_cases]
        links: dict[str, str] = {}
        for case in linked:
            if len(links) >= MAX_DIGEST_LINKS:
                break
            if case.rma not in links:
                url = self.permalink(case.slack_channel, case.slack_thread_ts)
                if url:
                    links[case.rma] = url
        text, blocks = digest_message(digest, self.ctx.services.clock(), links)
        self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)

    def resume_return(self, rma: str) -> None:
        """A return an instance left half done (killed after opening it, or between the label, the PDF in the
        thread and the e-mail): finished as the Retry button would, each step once. A step that fails again
        shows Retry in the thread, which is where a person takes it from."""
        case = returns.get_case(self.ctx.services.db, rma)
        status_ts = case.slack_status_ts
        if not status_ts:  # killed before the "working" message was posted: post it now, to report in
            if not (case.slack_channel and case.slack_thread_ts):
                log.warning("return %s has no Slack thread to finish it in", rma)
                return
            status_ts = in_thread(self.client, case, working_text(case.order_name, case.requested_by)) or ""
            returns.set_slack_status(self.ctx.services.db, rma, status_ts)
        try:
            return_flow.finish(self.ctx, self.client, rma, status_ts)
        except UserError as exc:  # the status message says it, with Retry: nothing for the tick to retry
            log.warning("could not finish return %s: %s", rma, exc.message)

    def refund_recovered(self, request: RefundRequestView) -> None:
        """A refund a stopped instance left approved or executing, run by the tick: its approval message and the
        order's thread show how it ended, as after a team lead's click."""
        refund_flow.report(self.ctx, self.client, request)

    def replacement_shipped(self, shipped: ReplacementShipped) -> None:
        request = shipped.request
        if request.slack_channel:
            text = shipped_text(shipped)
            self.client.chat_postMessage(channel=request.slack_channel, thread_ts=request.slack_thread_ts or None,
                                         text=text, blocks=[section(text)])  # fmt: skip

    def cancellation_finished(self, ran: Ran) -> None:
        """A cancellation whose store job outlived its budget, finished by the tick (commands.cancellation_tick)."""
        cancel_flow.finished(self.ctx, self.client, ran)

    def cancellation_card(self, cancellation: CancellationView) -> None:
        cancel_flow.redraw_card_now(self.ctx, self.client, cancellation)

    def permalink(self, channel: str, ts: str) -> str | None:
        if not (channel and ts):
            return None
        try:
            return str(self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError as exc:
            log.warning("no permalink for %s/%s: %s", channel, ts, exc.response.get("error"))
            return None
