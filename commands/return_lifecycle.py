"""After the label: a return received (by the warehouse, the carrier's tracking or the shop's admin), snoozed, closed
because the customer keeps the items, or the customer reminded.

`receive` is the ONE transition label_created | in_transit -> received, whoever triggers it (storage.return_lifecycle:
a conditional UPDATE, audited): two people pressing Mark received, or the carrier's scan arriving at the same
moment, make one receipt; the losers get `Received(won=False)` and the case as the winner left it. The follow-up
(the shop's own return processed, the customer's "we received it" e-mail) runs each under its own operation key,
at once and again from the scheduler's `received:<rma>` row until it is done, so a failure is retried and a
retry never sends twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from commands import exchanges
from commands.errors import UserError
from commands.return_cases import Case, get_case, mailer
from commands.return_form import settings
from commands.services import Services
from domain.store import Disposition, ReceivedLine, StoreError
from domain.vocabulary import ReturnStatus
from integrations.mail import MailError, received_email, reminder_email
from storage import return_lifecycle as lifecycle
from storage.operations import OperationInProgress, run_once

log = logging.getLogger(__name__)

SLACK, CARRIER, SHOPIFY = "slack", "carrier", "shopify"  # where a receipt comes from
MAX_NOTE = lifecycle.MAX_NOTE
SNOOZE_DAYS = 7
RECEIVABLE = lifecycle.RECEIVABLE


class Condition(StrEnum):
    RESELLABLE = "resellable"  # back into stock
    DAMAGED = "damaged"
    MISSING = "missing"  # not in the parcel


_DISPOSITIONS = {
    Condition.RESELLABLE: Disposition.RESTOCKED,
    Condition.DAMAGED: Disposition.NOT_RESTOCKED,
    Condition.MISSING: Disposition.MISSING,
}


@dataclass(frozen=True)
class ReceivedItem:
    line_item_id: str
    name: str
    quantity: int  # received now
    condition: str  # a Condition value


@dataclass(frozen=True)
class Receipt:
    items: tuple[ReceivedItem, ...]
    note: str = ""


@dataclass(frozen=True)
class Received:
    case: Case  # as it is now, whoever received it
    won: bool  # False: it had been received already (a second press, a lost race)
    emailed_to: str | None  # the customer was told at this address
    problem: str = ""  # what of the follow-up failed (retried by the scheduler), in plain words
    refused: str = ""  # what the follow-up will not do, and what a person can do instead (not retried)


@dataclass(frozen=True)
class FollowUp:
    emailed_to: str | None
    problem: str = ""
    refused: str = ""

    @property
    def done(self) -> bool:
        return not self.problem


# -- receiving ---------------------------------------------------------------------------------------------


def receipt_form(services: Services, rma: str) -> Case:
    """The case to build the Mark received form from; a UserError says why nothing can be received for it."""
    case = get_case(services.db, rma)
    if case.status is ReturnStatus.RECEIVED or (case.status is ReturnStatus.RESOLVED and case.received_at):
        raise UserError(f"Return {rma} was already received{_when(case)}.")
    _check_open(case, "mark it received")
    return case


def receipt_errors(case: Case, receipt: Receipt) -> dict[str, str]:
    """What is wrong with a receipt, by line item id (or "note"); empty when it can be recorded. No I/O."""
    returned = {str(i["line_item_id"]): int(i["quantity"]) for i in case.items}
    names = {str(i["line_item_id"]): str(i["name"]) for i in case.items}
    errors: dict[str, str] = {}
    counted: dict[str, int] = {}
    for item in receipt.items:
        if item.line_item_id not in returned:
            errors[item.line_item_id] = f"{item.name or 'This item'} is not in return {case.rma}."
        elif type(item.quantity) is not int or item.quantity < 0:
            errors[item.line_item_id] = "Enter how many came back: 0 or more."
        elif item.condition not in tuple(Condition):
            errors[item.line_item_id] = "Choose resellable, damaged or missing."
        else:
            counted[item.line_item_id] = counted.get(item.line_item_id, 0) + item.quantity
    for line_id, quantity in counted.items():
        if quantity > returned[line_id] and line_id not in errors:
            errors[line_id] = (
                f"Return {case.rma} has {returned[line_id]} of {names[line_id]}: {quantity} cannot have come back."
            )
    if not errors and sum(counted.values()) == 0 and case.items:
        errors[str(case.items[0]["line_item_id"])] = "Enter how many came back of at least one item."
    if len(receipt.note) > MAX_NOTE:
        errors["note"] = f"Keep the note within {MAX_NOTE} characters (it has {len(receipt.note)})."
    return errors


def full_receipt(case: Case) -> Receipt:
    """Everything in the return, resellable: what a delivered parcel or the shop's admin is taken to say."""
    return Receipt(
        tuple(ReceivedItem(str(i["line_item_id"]), str(i["name"]), int(i["quantity"]), Condition.RESELLABLE)
              for i in case.items)
    )  # fmt: skip


def receive(services: Services, rma: str, actor: str, receipt: Receipt, *, source: str = SLACK) -> Received:
    """label_created | in_transit -> received, once; then the follow-up (store, customer e-mail), each once."""
    case = get_case(services.db, rma)
    if _received(case):
        return Received(case, won=False, emailed_to=None)
    _check_open(case, "mark it received")
    errors = receipt_errors(case, receipt)
    if errors:
        raise UserError(" ".join(dict.fromkeys(errors.values())))
    items = [
        {"line_item_id": i.line_item_id, "name": i.name, "quantity": i.quantity, "condition": str(i.condition)}
        for i in receipt.items
        if i.quantity > 0
    ]
    record = lifecycle.ReceiptRecord(actor=actor, source=source, items=items, note=receipt.note.strip())
    won = lifecycle.receive(services.db, rma, record, at=services.clock())
    case = get_case(services.db, rma)
    if not won:
        if _received(case):
            return Received(case, won=False, emailed_to=None)
        _check_open(case, "mark it received")  # it moved on in between: say how
        raise UserError(f"Return {rma} could not be marked received. Try again.")
    done = follow_up(services, rma)
    return Received(case, won=True, emailed_to=done.emailed_to, problem=done.problem, refused=done.refused)


def follow_up(services: Services, rma: str) -> FollowUp:
    """After a receipt: the shop's own return processed (unless the shop's admin did it), the customer told and the
    exchange shipped (commands.exchanges), each once however often this runs. `problem` says what failed; the
    scheduler tries again later."""
    case = get_case(services.db, rma)
    if not _received(case):
        return FollowUp(None)
    problems = []
    if services.store.keeps_returns and case.store_return_id and case.received_source != SHOPIFY:
        try:
            _process_in_store(services, case)
        except (StoreError, OperationInProgress) as exc:
            problems.append(f"the shop did not record what came back ({exc})")
    emailed_to = None
    if case.email_customer and case.customer_email:
        try:
            emailed_to = _email_received(services, case)
        except (MailError, UserError, OperationInProgress) as exc:
            problems.append(f"the customer's e-mail was not sent ({getattr(exc, 'message', exc)})")
    refused = _ship_exchange(services, rma)
    problem = f"Return {rma} is received, but {' and '.join(problems)}; the bot tries again." if problems else ""
    return FollowUp(emailed_to, problem, refused)


def _ship_exchange(services: Services, rma: str) -> str:
    """The exchange's new items, now that the old ones are back (commands.exchanges: once, whoever received it);
    what stands in the way when the order can no longer have them (said in the thread). Not a problem for the
    scheduler to retry: a store's refusal leaves the request failed, with Retry in the thread, and a request
    interrupted midway is the refunds' recovery's (commands.refund_recovery)."""
    try:
        exchanges.ship_on_receipt(services, rma)
    except exchanges.ExchangeRefused as exc:
        return f"The exchange was not sent: {exc.message} Refund the customer instead (Refund now)."
    except (UserError, StoreError, OperationInProgress) as exc:
        log.warning("the exchange of return %s was not shipped: %s", rma, getattr(exc, "message", exc))
    except Exception:
        log.exception("the exchange of return %s failed; Retry in its thread is safe", rma)
    return ""


def _process_in_store(services: Services, case: Case) -> None:
    lines = [
        ReceivedLine(str(i["line_item_id"]), int(i["quantity"]), _DISPOSITIONS[Condition(i["condition"])])
        for i in case.receipt
    ]

    def process() -> dict[str, Any]:
        services.store.process_return(case.order_id, case.store_return_id, lines, note=case.receipt_note)
        return {"return": case.store_return_id}

    run_once(services.db, f"store-process:{case.rma}", "store_process", process, now=services.clock)


def _email_received(services: Services, case: Case) -> str:
    shop = settings(services)
    key = f"received-email:{case.rma}"
    received_on = (case.received_at or services.clock()).astimezone(services.lifecycle.timezone).date()
    came = [(int(i["quantity"]), str(i["name"])) for i in case.receipt if i["condition"] != Condition.MISSING]
    missing = any(i["condition"] == Condition.MISSING for i in case.receipt) or _short(case)

    def send() -> dict[str, Any]:
        message = received_email(
            case.customer_email, case.sender.name, case.language, case.order_name, case.rma, received_on, came,
            missing, case.resolution, shop.email, shop.shop_name, idempotency_key=key, now=services.clock(),
        )  # fmt: skip
        return {"message_id": mailer(services).send(message), "to": case.customer_email}

    return str(run_once(services.db, key, "received_email", send, now=services.clock).result["to"])


def _short(case: Case) -> bool:
    """Fewer units came back than the return holds (the rest is counted as missing)."""
    return sum(int(i["quantity"]) for i in case.receipt) < sum(int(i["quantity"]) for i in case.items)


# -- while it is on its way ----------------------------------------------------------------------------------


def snooze(services: Services, rma: str, actor: str, days: int = SNOOZE_DAYS) -> Case:
    """No reminder, escalation or expiry for `days`; then a fresh reminder."""
    if days < 1:
        raise UserError("Snooze for at least one day.")
    case = get_case(services.db, rma)
    _check_open(case, "snooze it")
    now = services.clock()
    if not lifecycle.snooze(services.db, rma, actor=actor, until=now + timedelta(days=days), at=now):
        _check_open(get_case(services.db, rma), "snooze it")
    return get_case(services.db, rma)


def close_kept(services: Services, rma: str, actor: str) -> Case:
    """The customer keeps the items: the case is resolved, and nothing more is sent about it."""
    case = get_case(services.db, rma)
    _check_open(case, "close it")
    if not lifecycle.close_kept(services.db, rma, actor=actor, at=services.clock()):
        _check_open(get_case(services.db, rma), "close it")
    return get_case(services.db, rma)


def remind_customer(services: Services, rma: str, actor: str, *, press: str) -> str:
    """E-mail the customer a reminder with the label attached again, once per press; the address it went to."""
    case = get_case(services.db, rma)
    _check_open(case, "remind the customer")
    if not press:
        raise ValueError("a reminder sent by a person needs the id of the press")
    return email_reminder(services, case, key=f"reminder-email:{rma}:{press}")


def email_reminder(services: Services, case: Case, *, key: str) -> str:
    """The reminder e-mail under operation `key`: sent once per key; the address it went to."""
    label = case.label
    if label is None:
        raise UserError(f"{case.rma} has no label to send again.")
    if not case.customer_email:
        raise UserError(f"Order {case.order_name} has no e-mail address to remind the customer at.")
    shop = settings(services)

    def send() -> dict[str, Any]:
        message = reminder_email(
            case.customer_email, case.sender.name, case.language, case.order_name, case.rma, label.tracking_number,
            label.pdf, shop.email, shop.shop_name, idempotency_key=key, now=services.clock(),
        )  # fmt: skip
        return {"message_id": mailer(services).send(message), "to": case.customer_email}

    try:
        outcome = run_once(services.db, key, "reminder_email", send, now=services.clock)
    except OperationInProgress:
        raise UserError(f"The reminder for {case.rma} is being sent right now.") from None
    except MailError as exc:
        raise UserError(f"The reminder for {case.rma} was not sent: {exc}") from exc
    return str(outcome.result["to"])


def mark_finished(services: Services, rma: str) -> None:
    """The case's Slack steps after the label (the PDF in the thread, the e-mail, the final status) are done:
    the scheduler will not resume them."""
    lifecycle.mark_finished(services.db, rma, at=services.clock())


def set_reminder_message(services: Services, rma: str, ts: str) -> None:
    lifecycle.set_reminder_message(services.db, rma, ts)


def resolve(services: Services, rma: str, actor: str, resolution: str) -> bool:
    """A received return settled (refunded, a replacement sent); False when it was not waiting for that."""
    return lifecycle.resolve(services.db, rma, resolution=resolution, actor=actor, at=services.clock())


# -- how a case reads ----------------------------------------------------------------------------------------

_STATE_WORDS = {
    ReturnStatus.REQUESTED: "label being made",
    ReturnStatus.LABEL_CREATED: "label created",
    ReturnStatus.IN_TRANSIT: "in transit",
    ReturnStatus.RECEIVED: "received",
    ReturnStatus.RESOLVED: "resolved",
    ReturnStatus.CANCELLED: "cancelled",
    ReturnStatus.EXPIRED: "expired",
}


def age_days(case: Case, now: datetime) -> int:
    """Whole days since the return was made."""
    return max(0, (now - case.created_at).days)


def case_state_text(case: Case, now: datetime) -> str:
    """The state in words and how old the return is, e.g. "in transit · 6 days" (plain words, no formatting)."""
    state = _STATE_WORDS[case.status]
    if case.status is ReturnStatus.RESOLVED and case.resolution == lifecycle.KEPT:
        state = "closed, the customer keeps it"
    days = age_days(case, now)
    text = f"{state} · {'today' if days == 0 else f'{days} day' if days == 1 else f'{days} days'}"
    if case.status in RECEIVABLE and case.snoozed_until is not None and case.snoozed_until > now:
        text += f" · snoozed until {case.snoozed_until.date().isoformat()}"
    return text


# -- internals -----------------------------------------------------------------------------------------------


def _received(case: Case) -> bool:
    return case.status is ReturnStatus.RECEIVED or (case.status is ReturnStatus.RESOLVED and bool(case.received_at))


def _when(case: Case) -> str:
    if case.received_at is None:
        return ""
    by = {CARRIER: " (the carrier delivered it)", SHOPIFY: " (in the shop's admin)"}.get(case.received_source, "")
    return f" on {case.received_at.date().isoformat()}{by}"


def _check_open(case: Case, what: str) -> None:
    """A UserError saying, in plain words, why one cannot `what` for a case that is not on its way back."""
    if case.status in RECEIVABLE:
        return
    rma = case.rma
    reasons: dict[ReturnStatus, str] = {
        ReturnStatus.REQUESTED: f"Return {rma} has no label yet, so you cannot {what} yet.",
        ReturnStatus.RECEIVED: f"Return {rma} was already received{_when(case)}: there is no need to {what}.",
        ReturnStatus.CANCELLED: f"Return {rma} was cancelled and its label voided, so you cannot {what}. If the "
        "items came back anyway, start a new return for them.",
        ReturnStatus.EXPIRED: f"Return {rma} expired: the parcel never came, and its label is no longer valid, so "
        f"you cannot {what}. If the items came back after all, start a new return for them.",
    }
    if case.status is ReturnStatus.RESOLVED:
        why = (
            f"Return {rma} was closed: the customer keeps the items, so you cannot {what}."
            if case.resolution == lifecycle.KEPT
            else f"Return {rma} was received{_when(case)} and is resolved: there is no need to {what}."
        )
        raise UserError(why)
    raise UserError(reasons[case.status])
