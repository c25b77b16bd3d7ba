"""Returns in Slack: the work after a click or a command, run on the worker pool, reported into the order's thread.

Each job goes straight to the step it needs: `/return … instant` is job → `start` → `returns.create_label` (the
carrier, booked on the job's thread while the working message is posted beside it), then `finish`: the label's
file into the thread at once, then `returns.record_in_store` (the store), the e-mail and the message's update.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.common.blocks import escape
from bot.common.context import BotContext
from bot.common.modals import message_modal, open_loading
from bot.common.replies import FAILED
from bot.orders.handlers import post_order_card
from bot.returns.form import EmailFormMeta, ReturnFormMeta
from bot.returns.modals import MAX_MODAL_ITEMS, TITLE, carrier_hints, email_modal, return_modal
from bot.returns.views import failed_message, label_message, returns_list, unknown_message, working_text
from commands import lookup, return_lifecycle, returns
from commands.errors import UserError
from domain.vocabulary import ReturnStatus

log = logging.getLogger(__name__)

FIX_IN_FORM = "Use *Create return shipment* on the order card to fix it in the form."
FIX_PLAIN = "Fix it in the form (Create return shipment on the order card)."
SENDING_WAIT = 1.0  # seconds the working message waits for the booking to be on its way, at most
# the working messages beside the bookings, on threads kept between returns: a thread started for each one would
# hold its booking up (each is busy for a Slack call, so a few serve every worker of the pool; more only queue)
_BESIDE = ThreadPoolExecutor(max_workers=8, thread_name_prefix="beside-booking")
LIST_TITLES = {"open": "open returns", "overdue": "returns open for more than {days} days",
               "mine": "open returns you started"}  # fmt: skip


class SaidInSlack(UserError):
    """A UserError worded here for Slack: mentions and bold are meant, customer data in it is escaped."""


def escaping(job: Callable[[], object]) -> Callable[[], None]:
    """`job` whose UserErrors from the workflows (plain words, with order and customer names) are escaped before
    they reach the agent as mrkdwn; the ones worded here pass as they are."""

    def run() -> None:
        try:
            job()
        except SaidInSlack:
            raise
        except UserError as exc:
            raise SaidInSlack(escape(exc.message)) from exc

    return run


def said(exc: UserError) -> str:
    """The error's message as mrkdwn."""
    return exc.message if isinstance(exc, SaidInSlack) else escape(exc.message)


@dataclass(frozen=True)
class Started:
    rma: str
    status_ts: str  # the thread message that reports how far the return got
    booked: returns.Case | UserError | None = None  # the carrier's label, or why there is none


# -- instant returns -------------------------------------------------------------------------------


def instant_from_command(
    ctx: BotContext, client: WebClient, respond: Respond, query: str, user: str, channel: str
) -> None:
    """`/return <order> instant`: the card in the channel, then the label in its thread at once."""
    order = lookup.single_order(ctx.services, query)
    # one read of the order serves the check, the card and the return: says at once when nothing can return
    draft = returns.draft_for(ctx.services, order)
    card_ts = post_order_card(ctx, client, respond, channel, user, order)
    if card_ts is None:
        return  # the bot may not post here: the agent was told why
    started = start(ctx, client, draft, instant_form(ctx, draft), user, channel, card_ts)
    finish(ctx, client, started.rma, started.status_ts, booked=started.booked)


def instant_for_order(ctx: BotContext, client: WebClient, order_id: str, user: str, channel: str, thread: str) -> None:
    """The card's "Create return shipment (instant)"."""
    draft = returns.draft_return(ctx.services, order_id)
    started = start(ctx, client, draft, instant_form(ctx, draft), user, channel, thread)
    finish(ctx, client, started.rma, started.status_ts, booked=started.booked)


def instant_form(ctx: BotContext, draft: returns.ReturnDraft) -> returns.ReturnForm:
    form = returns.default_form(draft, ctx.services)
    errors = returns.form_errors(draft, form, ctx.services.clock().date())
    if errors:
        raise SaidInSlack(f"{escape(' '.join(errors.values()))} {FIX_IN_FORM}")
    return form


# -- the return form -------------------------------------------------------------------------------


def form_from_command(
    ctx: BotContext, client: WebClient, respond: Respond, query: str, user: str, channel: str, trigger_id: str
) -> None:
    """`/return <order>`: the form opens at once (the trigger is fresh for ~3 s); the card it reports under follows."""
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        order = lookup.single_order(ctx.services, query)
        draft = returns.draft_for(ctx.services, order)
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal(TITLE, said(exc)))
        return
    card_ts = post_order_card(ctx, client, respond, channel, user, order)
    if card_ts is not None:
        show_form(ctx, client, view_id, draft, channel, card_ts)


def form_for_order(
    ctx: BotContext, client: WebClient, trigger_id: str, order_id: str, channel: str, thread: str
) -> None:
    """The card's "Create return shipment"."""
    view_id = open_loading(client, trigger_id, TITLE)
    try:
        draft = returns.draft_return(ctx.services, order_id)
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal(TITLE, said(exc)))
        return
    show_form(ctx, client, view_id, draft, channel, thread)


def show_form(
    ctx: BotContext, client: WebClient, view_id: str, draft: returns.ReturnDraft, channel: str, thread: str
) -> None:
    choices = returns.form_choices(ctx.services, draft)  # the carriers, and the nearest drop-off points
    meta = form_meta(draft, channel, thread, choices.points_carrier)
    client.views_update(
        view_id=view_id, view=return_modal(draft, returns.default_form(draft, ctx.services), meta, choices=choices)
    )


def form_meta(draft: returns.ReturnDraft, channel: str, thread: str, points_carrier: str = "") -> ReturnFormMeta:
    ids = " ".join(i.line_item_id for i in draft.items[:MAX_MODAL_ITEMS])
    return ReturnFormMeta(order_id=draft.order.ref.id, channel=channel, thread=thread, line_items=ids,
                          points_carrier=points_carrier or draft.carrier)  # fmt: skip


def submit_form(
    ctx: BotContext, client: WebClient, view_id: str, meta: ReturnFormMeta, form: returns.ReturnForm, user: str
) -> None:
    """The submitted form against the order as it is now; its problems back into the form, else the label."""
    try:
        draft = returns.draft_return(ctx.services, meta.order_id)
        errors = returns.form_errors(draft, form, ctx.services.clock().date()) | returns.carrier_errors(ctx.services,
                                                                                                        form)
        if errors:
            show_again(ctx, client, view_id, draft, form, meta, " ".join(errors.values()), errors)
            return
        started = start(ctx, client, draft, form, user, meta.channel, meta.thread)
        try:
            case = finish(ctx, client, started.rma, started.status_ts, booked=started.booked)
        except SaidInSlack as exc:
            refused = exc.__cause__
            # the carrier refused what the form says, and nothing was booked: back to the form, the fields marked
            fields = refused.fields if isinstance(refused, returns.CarrierFailed) else {}
            if fields and returns.get_case(ctx.services.db, started.rma).status == ReturnStatus.CANCELLED:
                draft = returns.draft_return(ctx.services, meta.order_id)  # withdrawn by `finish`: its items free
                show_again(ctx, client, view_id, draft, form, meta, str(exc.__cause__), fields)
                return
            raise
        done = f"✅ Return *{case.rma}* has its label: it is in the order's thread."
        client.views_update(view_id=view_id, view=message_modal(TITLE, done))
    except UserError as exc:
        client.views_update(view_id=view_id, view=message_modal(TITLE, f"⚠️ {said(exc)}"))
    except Exception:
        log.exception("the return form's submission failed")
        client.views_update(view_id=view_id, view=message_modal(TITLE, FAILED))


def show_again(
    ctx: BotContext, client: WebClient, view_id: str, draft: returns.ReturnDraft, form: returns.ReturnForm,
    meta: ReturnFormMeta, problem: str, fields: dict[str, str],
) -> None:  # fmt: skip
    """The form again as the agent filled it in, `problem` on top and the words about each field beside it."""
    choices = returns.form_choices(ctx.services, draft)
    fresh = form_meta(draft, meta.channel, meta.thread, choices.points_carrier)
    view = return_modal(draft, form, fresh, problem=problem, choices=choices, hints=carrier_hints(fields))
    client.views_update(view_id=view_id, view=view)


# -- the steps, shared by the instant return, the form and Retry ------------------------------------------


def start(
    ctx: BotContext, client: WebClient, draft: returns.ReturnDraft, form: returns.ReturnForm, user: str,
    channel: str, thread_ts: str,
) -> Started:  # fmt: skip
    """Open the case and show a working message in the thread; the label follows in `finish`."""
    opened = returns.open_case(ctx.services, draft, form, user, channel=channel, thread_ts=thread_ts)
    case = opened.case
    if not opened.created:
        raise SaidInSlack(
            f"Return {case.rma} of {escape(case.order_name)} was already started by <@{case.requested_by}>."
        )
    # the booking is the long pole: it runs on this thread, and the working message goes into the thread beside it
    # once the booking's intent is stored and the carrier is being called, so as not to hold the booking up
    # (`finish` reports the outcome and puts the file into the thread; nothing is booked twice: returns.create_label)
    sending = threading.Event()
    said = _BESIDE.submit(_working_message, ctx, client, case, user, sending)
    try:
        booked = _book(ctx, case, sending)
    finally:
        sending.set()  # the carrier was not called (a label made before, a failure): the message need not wait
    return Started(case.rma, said.result(), booked)


def _working_message(
    ctx: BotContext, client: WebClient, case: returns.Case, user: str, sending: threading.Event
) -> str:
    """The message saying the label is being made (its ts), once the booking is on its way (SENDING_WAIT at most)."""
    sending.wait(timeout=SENDING_WAIT)
    status = client.chat_postMessage(channel=case.slack_channel, thread_ts=case.slack_thread_ts,
                                     text=working_text(case.order_name, user))  # fmt: skip
    returns.set_slack_status(ctx.services.db, case.rma, str(status["ts"]))
    return str(status["ts"])


def _book(ctx: BotContext, case: returns.Case, sending: threading.Event) -> returns.Case | UserError:
    """The label, or why there is none (said by `finish` once the working message is there to update)."""
    try:
        return returns.create_label(ctx.services, case.rma, case=case, sending=sending.set)
    except UserError as exc:
        return exc


def finish(
    ctx: BotContext, client: WebClient, rma: str, status_ts: str, *, book_again: bool = False,
    booked: returns.Case | UserError | None = None,
) -> returns.Case:  # fmt: skip
    """Label, PDF into the thread, store, e-mail: each once, whatever is retried. The status message says how far.
    `book_again`: the agent found no booking after "booking unknown" (see returns.create_label); `booked`: what
    `start` got from the carrier already.

    The file goes into the thread as soon as the label exists: the agent has it while the shop records the return
    (a store that does), and a store that fails leaves the label in the thread and Retry on the message."""
    try:
        if isinstance(booked, UserError):
            raise booked
        case = booked if booked is not None else returns.create_label(ctx.services, rma, book_again=book_again)
    except UserError as exc:
        raise _failed(ctx, client, rma, status_ts, exc) from exc
    upload_label(ctx, client, case)
    try:
        returns.record_in_store(ctx.services, rma, case=case)
    except UserError as exc:
        raise _failed(ctx, client, rma, status_ts, exc) from exc
    if case.email_customer:
        try:
            returns.email_label(ctx.services, rma)
        except UserError as exc:
            warn_in_thread(client, case, exc.message)
    case = returns.get_case(ctx.services.db, rma)  # with the e-mail it went out in
    text, blocks = _label_message(ctx, case)
    client.chat_update(channel=case.slack_channel, ts=status_ts, text=text, blocks=blocks)
    return_lifecycle.mark_finished(ctx.services, rma)  # the scheduler need not finish it (see commands.reminders)
    return case


def _failed(ctx: BotContext, client: WebClient, rma: str, status_ts: str, exc: UserError) -> SaidInSlack:
    """The status message says what stopped the return (with what the agent can do next); the error to raise."""
    case = returns.get_case(ctx.services.db, rma)
    if isinstance(exc, returns.BookingUnknown):
        text, blocks = unknown_message(case, exc.message, can_check=exc.can_check)
    else:
        # Retry when trying again can help (the carrier down, a key fixed by an administrator, a step after the
        # label); what the carrier refused in the form's fields needs the form: nothing was booked, so the case is
        # withdrawn and its items are free for the corrected form
        refused = isinstance(exc, returns.CarrierFailed) and bool(exc.fields) and not exc.retryable
        again = not (refused and returns.withdraw_refused(ctx.services, rma))
        text, blocks = failed_message(case, exc.message + ("" if again else f" {FIX_PLAIN}"), retry=again)
    client.chat_update(channel=case.slack_channel, ts=status_ts, text=text, blocks=blocks)
    return SaidInSlack(escape(exc.message))


def upload_label(ctx: BotContext, client: WebClient, case: returns.Case) -> None:
    """The PDF into the order's thread, once per label however often the steps are retried."""
    assert case.label is not None
    label = case.label

    def upload() -> str:
        response = client.files_upload_v2(
            channel=case.slack_channel, thread_ts=case.slack_thread_ts, content=label.pdf,
            filename=f"return-label-{case.rma}.pdf", title=f"Return label {case.rma} ({label.tracking_number})",
        )  # fmt: skip
        return str((response.get("file") or {}).get("id", ""))

    try:
        if not returns.share_label_once(ctx.services, case, upload):
            log.info("label of %s is being uploaded by another worker", case.rma)
    except SlackApiError as exc:
        raise UserError(
            f"The label of {case.rma} was made, but Slack refused the file ({exc.response.get('error')})."
        ) from exc


# -- the buttons on the label's message ------------------------------------------------------------


def email_again(ctx: BotContext, client: WebClient, rma: str, press: str, clicked: Clicked | None = None) -> None:
    """ "E-mail label to customer": sent again on every press (the press's id is its key)."""
    returns.email_label(ctx.services, rma, press=press)
    update_status(client, returns.get_case(ctx.services.db, rma), clicked, now=ctx.services.clock(), ctx=ctx)


def open_email_form(ctx: BotContext, client: WebClient, trigger_id: str, rma: str) -> None:
    case = returns.get_case(ctx.services.db, rma)
    client.views_open(trigger_id=trigger_id, view=email_modal(case, EmailFormMeta(rma=case.rma)))


def email_elsewhere(ctx: BotContext, client: WebClient, view_id: str, rma: str, address: str) -> None:
    """The label to the address typed into the form, once per submission of the form."""
    try:
        sent = returns.email_label(ctx.services, rma, to=address, press=f"view-{view_id}")
        update_status(client, returns.get_case(ctx.services.db, rma), now=ctx.services.clock(), ctx=ctx)
        text = f"✅ The label of *{escape(rma)}* was sent to {escape(sent.to)}."
    except UserError as exc:
        text = f"⚠️ {said(exc)}"
    client.views_update(view_id=view_id, view=message_modal("E-mail label", text))


def void(ctx: BotContext, client: WebClient, rma: str, user: str, clicked: Clicked | None = None) -> None:
    voided = returns.void_label(ctx.services, rma, user)
    update_status(client, voided.case, clicked, now=ctx.services.clock(), ctx=ctx)
    if voided.told.problem:
        warn_in_thread(client, voided.case, voided.told.problem)


Clicked = tuple[str, str]  # (channel, ts) of the message a button was pressed on


def update_status(
    client: WebClient, case: returns.Case, clicked: Clicked | None = None, *, now: datetime,
    ctx: BotContext | None = None,
) -> None:  # fmt: skip
    """Rebuild the case's message in the thread from the database (any agent's click shows the same), and the
    copy the button was pressed on when that is another one (a card posted again from `/returns`)."""
    text, blocks = label_message(case, now, **(carrier_facts(ctx, case) if ctx is not None else {}))
    places = {(case.slack_channel, case.slack_status_ts), clicked or ("", "")}
    for channel, ts in sorted(places):
        if channel and ts:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def carrier_facts(ctx: BotContext, case: returns.Case) -> dict[str, Any]:
    """What the label's message says about the carrier: its name, and whether Void reaches it."""
    return {"carrier": returns.carrier_title(ctx.services, case), "can_void": returns.voids_at_carrier(ctx.services,
                                                                                                       case)}


def _label_message(ctx: BotContext, case: returns.Case) -> tuple[str, list[dict[str, Any]]]:
    return label_message(case, ctx.services.clock(), **carrier_facts(ctx, case))


def warn_in_thread(client: WebClient, case: returns.Case, message: str) -> None:
    client.chat_postMessage(channel=case.slack_channel, thread_ts=case.slack_thread_ts, text=f"⚠️ {escape(message)}")


# -- cards and lists -------------------------------------------------------------------------------


def post_card(ctx: BotContext, client: WebClient, respond: Respond, channel: str, user: str, order_id: str) -> None:
    """A fresh card with its returns' messages in its thread, so their buttons (e-mail, void) come along."""
    order = lookup.get_order(ctx.services, order_id)
    card_ts = post_order_card(ctx, client, respond, channel, user, order)
    if card_ts is None:
        return
    for listed in returns.cases_for_order(ctx.services.db, order.ref.id):
        case = returns.get_case(ctx.services.db, listed.rma)
        if case.label is not None:
            text, blocks = _label_message(ctx, case)
        elif case.error:
            text, blocks = failed_message(case, case.error)
        else:
            continue  # cancelled, or its label is still being made
        client.chat_postMessage(channel=channel, thread_ts=card_ts, text=text, blocks=blocks)


def show_returns(ctx: BotContext, respond: Respond, which: str, user: str) -> None:
    cases = returns.list_cases(ctx.services, which, user, ctx.overdue_days)
    title = LIST_TITLES[which].format(days=ctx.overdue_days)
    text, blocks = returns_list(cases, title, ctx.services.clock().date())
    respond(text=text, blocks=blocks, response_type="ephemeral")
