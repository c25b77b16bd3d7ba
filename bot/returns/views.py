"""Block Kit for returns in the channel: the thread messages about a label, and the list of open returns.

Everything the customer or the shop wrote (names, order names, tracking numbers, reasons from a carrier) is
escaped before it reaches mrkdwn, and a tracking URL becomes a link only when it is http(s).
"""

from __future__ import annotations

import re
from datetime import date as day
from datetime import datetime

from bot.common.blocks import Block, context, date, escape, link, plain, section
from bot.common.ids import ActionId, BlockId
from bot.returns.modals import DELIVERY_LABELS
from commands.carriers import points_from
from commands.exchanges import can_ship_now
from commands.return_lifecycle import case_state_text
from commands.returns import Case, SentEmail
from domain.vocabulary import Delivery, LabelStatus, ReturnStatus

# message_modal: for the refunds; who: for bot.lifecycle

MAX_LISTED = 40
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
_SOURCES = {"carrier": "the carrier's tracking (delivered)", "shopify": "Shopify's admin", "": "someone"}
MAX_LIST_BLOCKS = 50  # a message's limit: a row is one block, and one more when it has "Mark received"
RECEIVABLE = (ReturnStatus.LABEL_CREATED, ReturnStatus.IN_TRANSIT)  # the parcel is on its way back


def working_text(order_name: str, who: str) -> str:
    return f"⏳ Creating a return label for {escape(order_name)}… (started by <@{who}>)"


def who(actor: str) -> str:
    """Who did something to a return: a person as a mention; the scheduler's sources (the carrier's tracking,
    Shopify's admin) in words."""
    if _SLACK_USER.fullmatch(actor or ""):
        return f"<@{actor}>"
    return _SOURCES.get(actor or "", escape(actor))


def label_message(case: Case, now: datetime, *, carrier: str = "", can_void: bool = True) -> tuple[str, list[Block]]:
    """The thread's message about a return that has (or had) its label, with its state and age as of `now`.
    `carrier`: its name as people read it; `can_void`: whether Void cancels the label at the carrier (if not, the
    button says that the return is cancelled and the label simply expires)."""
    label = case.label
    voided = case.status == ReturnStatus.CANCELLED or (label is not None and label.status == LabelStatus.VOIDED)
    head = f"↩️ Return *{case.rma}* for {escape(case.order_name)}" + (" — *label voided*" if voided else "")
    by = f"{escape(carrier)}: " if carrier else ""
    tracking = (
        f"*Tracking:* {_tracking(label.tracking_number, label.tracking_url)} ({by}{escape(label.service)})\n"
        if label is not None
        else ""
    )
    state = f"*State:* {escape(case_state_text(case, now))} (since {date(case.created_at)})\n"
    text = f"{head}\n{state}{tracking}" + _facts(case) + _points(case)
    if label is not None and label.note:
        text += f"\n⚠️ {escape(label.note)}"
    if label is not None and label.void_note:
        text += f"\n_{escape(label.void_note)}_"
    blocks = [section(text, BlockId.RETURN_STATUS)]
    notes = [f"Requested by <@{case.requested_by}>", *_email_notes(label.emails if label else ())]
    if label is not None and label.void_notices:
        told = ", ".join(dict.fromkeys(escape(n.to) for n in label.void_notices))
        notes.append(f"told {told} by e-mail not to use it")
    if case.received_at is not None:
        notes.append(f"received {date(case.received_at)} by {who(case.received_by)}")
    blocks.append(context(" · ".join(notes)))
    if label is not None and case.status in RECEIVABLE and not voided:
        buttons: list[Block] = [_button(ActionId.RETURN_RECEIVE, "Mark received", case.rma) | {"style": "primary"}]
        if case.customer_email:
            buttons.append(_button(ActionId.RETURN_EMAIL, "E-mail label to customer", case.rma))
        buttons.append(_button(ActionId.RETURN_EMAIL_OTHER, "E-mail label to…", case.rma))
        if label.status == LabelStatus.CREATED:
            buttons.append(_void_button(case.rma, carrier, can_void))
        if can_ship_now(case):  # a team lead's advance exchange (the handler checks who pressed it)
            buttons.append(_ship_now_button(case.rma))
        blocks.append({"type": "actions", "block_id": BlockId.RETURN_ACTIONS, "elements": buttons})
    summary = f"Return {case.rma} for {escape(case.order_name)}: {escape(case_state_text(case, now))}"
    return summary + (" (label voided)" if voided else ""), blocks


def failed_message(case: Case, reason: str, *, retry: bool = True) -> tuple[str, list[Block]]:
    """The label was not made, or a step after it failed (the shop's record: the label is in the thread already);
    Retry when trying again can help (the carrier down), not for a refused address."""
    if case.label is None:
        what = f"The label for return *{case.rma}* ({escape(case.order_name)}) was not made: {escape(reason)}"
    else:
        what = f"Return *{case.rma}* ({escape(case.order_name)}) has its label in this thread, but: {escape(reason)}"
    blocks = [section(f"⚠️ {what}", BlockId.RETURN_STATUS)]
    if retry:
        blocks.append(
            {
                "type": "actions",
                "block_id": BlockId.RETURN_ACTIONS,
                "elements": [_button(ActionId.RETURN_RETRY, "Retry", case.rma) | {"style": "primary"}],
            }
        )
    if case.label is None:
        return f"The label for {case.rma} was not made: {escape(reason)}", blocks
    return f"Return {case.rma} has its label, but: {escape(reason)}", blocks


def unknown_message(case: Case, reason: str, *, can_check: bool) -> tuple[str, list[Block]]:
    """"Booking unknown": the carrier may have booked the return. The agent decides: Check (ask the carrier by the
    RMA, where it can be asked) or Book again (confirmed: only when the carrier's own tools show no booking)."""
    what = f"❓ Return *{case.rma}* ({escape(case.order_name)}): {escape(reason)}"
    elements: list[Block] = []
    if can_check:
        elements.append(_button(ActionId.RETURN_CHECK_BOOKING, "Check", case.rma) | {"style": "primary"})
    elements.append(
        _button(ActionId.RETURN_BOOK_AGAIN, "Book again", case.rma) | {
            "style": "danger",
            "confirm": {"title": plain("Book this return again?", 100),
                        "text": plain(f"Only if the carrier shows no shipment with the reference {case.rma}: "
                                      "otherwise the customer gets two labels and the shop pays twice.", 300),
                        "confirm": plain("Book again", 30), "deny": plain("Not yet", 30)},
        }
    )
    blocks = [
        section(what, BlockId.RETURN_STATUS),
        {"type": "actions", "block_id": BlockId.RETURN_ACTIONS, "elements": elements},
    ]
    return f"Return {case.rma}: booking unknown. {escape(reason)}", blocks


def returns_list(cases: list[Case], title: str, today: day) -> tuple[str, list[Block]]:
    if not cases:
        return f"No {escape(title)}.", [section(f"No {escape(title)}.")]
    blocks = [section(f"*{escape(title.capitalize())}* — newest first")]
    listed = 0
    for index, case in enumerate(cases[:MAX_LISTED]):
        receive = case.label is not None and case.status in RECEIVABLE
        if len(blocks) + 1 + receive > MAX_LIST_BLOCKS - 1:  # room for the "…and more" line
            break
        listed += 1
        age = (today - case.created_at.date()).days
        tracking = f" · `{escape(case.label.tracking_number)}`" if case.label else ""
        blocks.append(
            {
                "type": "section",
                "block_id": f"return_{index}",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{case.rma}* · {escape(case.order_name)} · {case.status.replace('_', ' ')} · "
                    f"{age} day{'s' if age != 1 else ''} old{tracking}",
                },
                "accessory": _button(ActionId.SHOW_ORDER, f"Show {case.order_name}", case.order_id),
            }
        )
        if receive:  # a section holds one button: the warehouse's goes below the row
            mark = _button(ActionId.RETURN_RECEIVE, f"Mark {case.rma} received", case.rma)
            blocks.append({"type": "actions", "block_id": f"return_{index}_actions", "elements": [mark]})
    if len(cases) > listed:
        blocks.append(context(f"…and {len(cases) - listed} more."))
    return f"{len(cases)} {escape(title)}", blocks


def _ship_now_button(rma: str) -> Block:
    return _button(ActionId.EXCHANGE_SHIP_NOW, "Ship exchange now", rma) | {
        "confirm": {"title": plain("Ship the exchange now?", 100),
                    "text": plain(f"The new items go out before return {rma} arrives (team leads only). Its receipt "
                                  "will not send them again.", 300),
                    "confirm": plain("Ship now", 30), "deny": plain("Wait for the return", 30)},
    }  # fmt: skip


def _void_button(rma: str, carrier: str, can_void: bool) -> Block:
    if can_void:
        return _button(ActionId.RETURN_VOID, "Void label", rma) | {
            "style": "danger",
            "confirm": {"title": plain("Void this label?", 100),
                        "text": plain(f"The customer can no longer use the label of {rma}.", 300),
                        "confirm": plain("Void label", 30), "deny": plain("Keep it", 30)},
        }  # fmt: skip
    who = carrier or "The carrier"
    return _button(ActionId.RETURN_VOID, "Cancel return (label expires)", rma) | {
        "style": "danger",
        "confirm": {"title": plain("Cancel this return?", 100),
                    "text": plain(f"{who} cannot cancel a booked label: the return {rma} is cancelled here and the "
                                  "customer is told not to use the label, which simply expires.", 300),
                    "confirm": plain("Cancel return", 30), "deny": plain("Keep it", 30)},
    }  # fmt: skip


def _points(case: Case) -> str:
    """The nearest drop-off points, as the customer's e-mail lists them (the chosen one marked)."""
    if case.delivery != Delivery.DROP_OFF or not case.service_points:
        return ""
    lines = []
    for point in points_from(case.service_points):
        mark = " ← chosen" if point.id == case.service_point_id else ""
        lines.append(f"• {escape(point.one_line())}{mark}")
    return "\n*Drop-off points:*\n" + "\n".join(lines)


def _facts(case: Case) -> str:
    items = ", ".join(f"{i['quantity']} × {escape(str(i['name']))}" for i in case.items)
    delivery = DELIVERY_LABELS.get(case.delivery, case.delivery)
    if case.pickup_date:
        delivery += f" on {case.pickup_date:%Y-%m-%d}"
    return f"*Items:* {items}\n*Delivery:* {delivery}" + _exchange(case)


def _exchange(case: Case) -> str:
    """What is sent in exchange, and when: at receipt, or already (Ship now, or the receipt)."""
    if not case.exchange:
        return ""
    # the picker's words are "title · SKU · price · stock": the title says which
    titles = [str(e["title"] or e["variant_id"]).split(" · ")[0] for e in case.exchange]
    lines = ", ".join(
        f"{int(e['quantity'])} × {escape(str(e['name']))} → {escape(title)}"
        for e, title in zip(case.exchange, titles, strict=True)
    )
    when = "sent as a replacement order" if case.exchange_request_id is not None else "ships when it is received"
    return f"\n*Exchange:* {lines} ({when})"


def _tracking(number: str, url: str) -> str:
    """The number as a link when the carrier gave an http(s) URL, else as code; neither can carry markup."""
    linked = link(url, number) if url else ""
    return linked if linked.startswith("<") else f"`{escape(number)}`"


def _email_notes(emails: tuple[SentEmail, ...]) -> list[str]:
    """The first e-mail, and the last time it was sent again (and where, when elsewhere)."""
    if not emails:
        return []
    first, *later = emails
    notes = [f"label e-mailed to {escape(first.to)}"]
    if later:
        last = later[-1]
        times = f"sent again {len(later)} times, last at" if len(later) > 1 else "sent again at"
        notes.append(f"{times} {date(last.at)}" + (f" to {escape(last.to)}" if last.to != first.to else ""))
    return notes


def _button(action_id: str, text: str, value: str) -> Block:
    return {"type": "button", "action_id": action_id, "text": plain(text, 75), "value": value}
