"""Block Kit for a return after its label: the reminder and the escalation with their buttons, the expiry note,
the "received" message with Refund now, and the daily digest. Pure functions: values in, (text, blocks) out.

Everything the customer or the shop wrote (order names, item names, notes) is escaped on its way into mrkdwn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.common.blocks import Block, clip, context, date, escape, link, plain, section
from bot.common.ids import ActionId, BlockId
from bot.returns.views import who
from commands.exchanges import EXCHANGE
from commands.return_cases import Case
from commands.return_lifecycle import RECEIVABLE, SNOOZE_DAYS, Received, age_days, case_state_text
from commands.tick import Digest, RefundSummary

DIGEST_LINES = 12  # per part of the digest: a message holds 50 blocks and each section 3,000 characters

CONDITIONS = {"resellable": "resellable, back to stock", "damaged": "damaged", "missing": "missing"}


def state_text(case: Case, now: datetime) -> str:
    """ "in transit · 6 days", as mrkdwn."""
    return escape(case_state_text(case, now))


def items_text(case: Case) -> str:
    return ", ".join(f"{i['quantity']} × {escape(str(i['name']))}" for i in case.items) or "_no items_"


def receivable(case: Case) -> bool:
    return case.status in RECEIVABLE


def receive_button(rma: str, *, primary: bool = True) -> Block:
    button = _button(ActionId.RETURN_RECEIVE, "Mark received", rma)
    return button | {"style": "primary"} if primary else button


# -- the reminder and the escalation ---------------------------------------------------------------


def reminder_message(case: Case, now: datetime, *, customer_emailed_to: str | None) -> tuple[str, list[Block]]:
    """In the return's thread: the agent who made it is asked what became of the parcel."""
    age = age_days(case, now)
    head = (
        f"⏰ <@{case.requested_by}>, return *{escape(case.rma)}* for {escape(case.order_name)} has not arrived "
        f"after {_days(age)}: it is {state_text(case, now)}.\n*Items:* {items_text(case)}"
    )
    if customer_emailed_to:
        head += f"\nThe customer was reminded by e-mail ({escape(customer_emailed_to)}), the label attached again."
    blocks = [section(head), *_lifecycle_actions(case)]
    text = f"Reminder: return {case.rma} for {escape(case.order_name)} has not arrived after {_days(age)}"
    return text, blocks


def escalation_message(case: Case, now: datetime, *, thread_link: str | None) -> tuple[str, list[Block]]:
    """To the team leads: a return that still has not arrived, with a link to its thread."""
    age = age_days(case, now)
    where = link(thread_link, "the order's thread") if thread_link else "the order's thread"
    head = (
        f"🚨 Return *{escape(case.rma)}* for {escape(case.order_name)} has not arrived after {_days(age)} "
        f"({state_text(case, now)}). Started by <@{case.requested_by}>; the story is in {where}.\n"
        f"*Items:* {items_text(case)}"
    )
    blocks = [section(head), *_lifecycle_actions(case)]
    return f"Escalation: return {case.rma} for {escape(case.order_name)} has not arrived after {_days(age)}", blocks


def _lifecycle_actions(case: Case) -> list[Block]:
    if not receivable(case):
        return []
    buttons = [receive_button(case.rma)]
    if case.customer_email:
        buttons.append(_button(ActionId.RETURN_REMIND, "Remind customer", case.rma))
    buttons.append(_button(ActionId.RETURN_SNOOZE, f"Snooze {SNOOZE_DAYS} days", case.rma))
    close = _button(ActionId.RETURN_CLOSE_KEPT, "Close (customer keeps it)", case.rma) | {
        "confirm": {
            "title": plain("Close this return?", 100),
            "text": plain(f"The customer keeps the items of {case.rma}: no more reminders, nothing comes back.", 300),
            "confirm": plain("Close it", 30),
            "deny": plain("Keep it open", 30),
        }
    }
    buttons.append(close)
    return [{"type": "actions", "block_id": BlockId.LIFECYCLE_ACTIONS, "elements": buttons}]


def reminder_settled(case: Case, outcome: str) -> tuple[str, list[Block]]:
    """A reminder whose return was received or closed since: what it was about, and what became of it."""
    head = f"⏰ Reminder to <@{case.requested_by}> about return *{escape(case.rma)}* for {escape(case.order_name)}."
    return outcome, [section(head), context(outcome, BlockId.LIFECYCLE_OUTCOME)]


def with_outcome(blocks: Sequence[Block], outcome: str, *, keep_buttons: bool) -> list[Block]:
    """A reminder or escalation after one of its buttons was pressed: what happened, below it; the buttons
    stay only while they still mean something (a snoozed return can still arrive)."""
    kept = [
        b for b in blocks
        if b.get("block_id") != BlockId.LIFECYCLE_OUTCOME
        and (keep_buttons or b.get("block_id") != BlockId.LIFECYCLE_ACTIONS)
    ]  # fmt: skip
    return [*kept, context(outcome, BlockId.LIFECYCLE_OUTCOME)]


# -- expiry and receipt ----------------------------------------------------------------------------


def expired_message(case: Case, now: datetime, *, label_voided: bool) -> tuple[str, list[Block]]:
    label = (
        "The label was voided: it can no longer be used."
        if label_voided
        else "The label could not be voided with the carrier; if the parcel still comes, mark it received."
    )
    text = (
        f"⌛ Return *{escape(case.rma)}* for {escape(case.order_name)} has expired: nothing arrived in "
        f"{_days(age_days(case, now))}. {label}"
    )
    return f"Return {case.rma} expired", [section(text)]


def received_message(received: Received) -> tuple[str, list[Block]]:
    """In the return's thread: who received what, in which condition, and what comes next."""
    case = received.case
    when = f" on {date(case.received_at)}" if case.received_at else ""
    lines = [
        f"📦 Return *{escape(case.rma)}* for {escape(case.order_name)} was received by {who(case.received_by)}{when}:"
    ]
    lines += [f"• {_received_line(item)}" for item in case.receipt]
    short = _missing(case)
    if short:
        lines.append(f"• _not in the parcel:_ {short}")
    if case.receipt_note:
        lines.append(f"*Note:* {escape(case.receipt_note)}")
    if received.emailed_to:
        lines.append(f"The customer was told by e-mail ({escape(received.emailed_to)}) that it arrived.")
    lines += [f"⚠️ {escape(trouble)}" for trouble in (received.problem, received.refused) if trouble]
    blocks: list[Block] = [section("\n".join(lines))]
    # nothing to refund when the customer keeps the items or has them exchanged
    if case.resolution not in ("kept", EXCHANGE) and _anything_back(case):
        blocks.append(
            {
                "type": "actions",
                "block_id": BlockId.RECEIVED_ACTIONS,
                "elements": [_button(ActionId.RETURN_REFUND_NOW, "Refund now", case.rma) | {"style": "primary"}],
            }
        )
    return f"Return {case.rma} for {escape(case.order_name)} was received", blocks


def _received_line(item: Mapping[str, Any]) -> str:
    condition = str(item.get("condition", ""))
    words = CONDITIONS.get(condition, escape(condition))
    return f"{int(item.get('quantity', 0))} × {escape(str(item.get('name', '')))} — {words}"


def _missing(case: Case) -> str:
    """What the return holds that the receipt does not mention (0 received of it)."""
    counted: dict[str, int] = {}
    for item in case.receipt:
        line_id = str(item.get("line_item_id"))
        counted[line_id] = counted.get(line_id, 0) + int(item.get("quantity", 0))
    gone = [
        f"{int(i['quantity']) - counted.get(str(i['line_item_id']), 0)} × {escape(str(i['name']))}"
        for i in case.items
        if int(i["quantity"]) > counted.get(str(i["line_item_id"]), 0)
    ]
    return ", ".join(gone)


def _anything_back(case: Case) -> bool:
    return any(int(i.get("quantity", 0)) > 0 and i.get("condition") != "missing" for i in case.receipt)


# -- the digest ------------------------------------------------------------------------------------


def digest_message(digest: Digest, now: datetime, links: Mapping[str, str]) -> tuple[str, list[Block]]:
    """The day's digest; `links`: the threads' permalinks by RMA (a return without one is shown unlinked)."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(f"Returns digest — {digest.day:%a %d %b %Y}", 150)},
    ]
    parts: list[str] = []
    if digest.open_cases:
        total = max(digest.open_total, len(digest.open_cases))
        ages = [age_days(c, now) for c in digest.open_cases]
        by_age = " · ".join(f"{label}: {sum(low <= a < high for a in ages)}" for label, low, high in _AGES)
        overdue = {c.rma for c in digest.overdue}
        lines = [_case_line(c, now, links) for c in digest.open_cases if c.rma not in overdue]
        text = f"*Open returns: {total}* — by age: {by_age}"
        if total > len(digest.open_cases):
            text += f" (of the {len(digest.open_cases)} oldest)"
        if lines:  # the overdue ones have a list of their own below
            text += "\n" + _listed(lines, total - len(overdue))
        parts.append(text)
    if digest.overdue:
        lines = [f"{_case_line(c, now, links)} · started by <@{c.requested_by}>" for c in digest.overdue]
        parts.append(f"*Overdue: {len(digest.overdue)}*\n" + _listed(lines))
    if digest.refunds_waiting:
        lines = [_refund_line(r, now) for r in digest.refunds_waiting]
        parts.append(f"*Refunds waiting for a team lead: {len(digest.refunds_waiting)}*\n" + _listed(lines))
    if digest.received_unresolved:
        lines = [
            f"{_rma_link(c, links)} · {escape(c.order_name)} · received {_ago(c.received_at, now)}"
            for c in digest.received_unresolved
        ]
        parts.append(f"*Received, not resolved yet: {len(digest.received_unresolved)}*\n" + _listed(lines))
    blocks += [section(part) for part in parts]
    summary = ", ".join(
        f"{n} {what}"
        for n, what in (
            (max(digest.open_total, len(digest.open_cases)), "open"), (len(digest.overdue), "overdue"),
            (len(digest.refunds_waiting), "refunds waiting"), (len(digest.received_unresolved), "received"),
        )
        if n
    )  # fmt: skip
    return f"Returns digest for {digest.day:%Y-%m-%d}: {summary or 'nothing to report'}", blocks


_AGES = (("under a week", 0, 7), ("1–2 weeks", 7, 14), ("2–3 weeks", 14, 21), ("3 weeks or more", 21, 1 << 30))


def _case_line(case: Case, now: datetime, links: Mapping[str, str]) -> str:
    return f"{_rma_link(case, links)} · {escape(case.order_name)} · {state_text(case, now)}"


def _rma_link(case: Case, links: Mapping[str, str]) -> str:
    url = links.get(case.rma)
    return link(url, case.rma) if url else f"*{escape(case.rma)}*"


def _refund_line(refund: RefundSummary, now: datetime) -> str:
    return (
        f"#{refund.id} · {escape(refund.order_name)} · {escape(refund.amount)} · "
        f"asked for by <@{refund.requested_by}> {_ago(refund.created_at, now)}"
    )


def _listed(lines: Sequence[str], total: int | None = None) -> str:
    """At most DIGEST_LINES lines; `total`: how many there are in all (when more than `lines` holds)."""
    shown = [f"• {line}" for line in lines[:DIGEST_LINES]]
    left = max(total or 0, len(lines)) - len(shown)
    if left > 0:
        shown.append(f"…and {left} more")
    return clip("\n".join(shown), 2900)


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return ""
    days = (now - when).days
    return "today" if days <= 0 else f"{_days(days)} ago"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _button(action_id: str, text: str, value: str) -> Block:
    return {"type": "button", "action_id": action_id, "text": plain(text, 75), "value": value}
