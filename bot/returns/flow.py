"""Returns in Slack: the steps after a click, run on the worker pool, reported into the order's thread."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.common.context import BotContext
from bot.returns.views import failed_message, label_message, working_text
from commands import returns
from commands.errors import UserError
from storage.operations import OperationInProgress, run_once

log = logging.getLogger(__name__)


def start_in_thread(
    ctx: BotContext, client: WebClient, draft: returns.ReturnDraft, form: returns.ReturnForm, user: str,
    channel: str, thread_ts: str,
) -> returns.Case:  # fmt: skip
    """Open the case and show a working message in the thread; the label follows in `finish`."""
    opened = returns.open_case(ctx.services, draft, form, user, channel=channel, thread_ts=thread_ts)
    case = opened.case
    if not opened.created:
        raise UserError(f"Return {case.rma} of {case.order_name} was already started by <@{case.requested_by}>.")
    status = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=working_text(case.order_name, user))
    returns.set_slack_status(ctx.services.db, case.rma, str(status["ts"]))
    return finish(ctx, client, case.rma, str(status["ts"]))


def finish(ctx: BotContext, client: WebClient, rma: str, status_ts: str) -> returns.Case:
    """Label, PDF into the thread, e-mail: each once, whatever is retried. The status message says how far."""
    case = returns.get_case(ctx.services.db, rma)
    try:
        case = returns.create_label(ctx.services, rma)
        returns.record_in_store(ctx.services, rma)
    except UserError as exc:
        text, blocks = failed_message(case, exc.message)
        client.chat_update(channel=case.slack_channel, ts=status_ts, text=text, blocks=blocks)
        raise
    upload_label(ctx, client, case)
    emailed_to = None
    if case.email_customer:
        try:
            emailed_to = returns.email_label(ctx.services, rma)
        except UserError as exc:
            client.chat_postMessage(channel=case.slack_channel, thread_ts=case.slack_thread_ts, text=f"⚠️ {exc.message}")
    text, blocks = label_message(case, emailed_to)
    client.chat_update(channel=case.slack_channel, ts=status_ts, text=text, blocks=blocks)
    return case


def upload_label(ctx: BotContext, client: WebClient, case: returns.Case) -> None:
    """The PDF into the order's thread, once per label however often the steps are retried."""
    assert case.label is not None
    label = case.label

    def upload() -> dict:
        response = client.files_upload_v2(
            channel=case.slack_channel, thread_ts=case.slack_thread_ts, content=label.pdf,
            filename=f"return-label-{case.rma}.pdf", title=f"Return label {case.rma} ({label.tracking_number})",
        )  # fmt: skip
        return {"file": str((response.get("file") or {}).get("id", ""))}

    try:
        run_once(ctx.services.db, f"slack-file:{case.rma}:{label.id}", "slack_file", upload, now=ctx.services.clock)
    except OperationInProgress:
        log.info("label of %s is being uploaded by another worker", case.rma)
    except SlackApiError as exc:
        raise UserError(
            f"The label of {case.rma} was made, but Slack refused the file ({exc.response.get('error')})."
        ) from exc
