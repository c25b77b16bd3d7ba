"""E-mails about a return label: the label itself, sent again on request, and the notice that it was voided.

Each e-mail runs under its own operation key (`storage.returns.label_email_key`):
- the automatic e-mail after the label is made: one per label, however often the steps are retried;
- an agent's press of "E-mail label" (or the form for another address): one per press, so pressing again
  sends again, while a press delivered twice (a retried request) still sends once;
- the "label voided" notice: one per address the label went to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commands.carriers import points_from
from commands.errors import UserError
from commands.return_cases import Case, get_case, mailer
from commands.return_form import settings
from commands.services import Services
from integrations.mail import MailError, label_email, normalize_address, void_email
from storage import returns as stored
from storage.operations import OperationInProgress, run_once


@dataclass(frozen=True)
class Emailed:
    to: str
    at: datetime
    again: bool  # the label had been e-mailed before


@dataclass(frozen=True)
class Told:
    """Who was told by e-mail that a label was voided, and why anybody could not be."""

    to: tuple[str, ...] = ()
    problem: str = ""


def valid_address(text: str) -> str | None:
    """The address as it will be used, or None when no e-mail can be sent to it (a form checks at once)."""
    return normalize_address(text)


def email_label(services: Services, rma: str, *, to: str = "", press: str = "") -> Emailed:
    """E-mail the label to the customer, or to `to`. Without `press` this is the automatic e-mail, once per
    label; with the id of an agent's press (or form submission) it is sent once per press."""
    case = get_case(services.db, rma)
    label = case.label
    if label is None:
        raise UserError(f"{rma} has no label yet to e-mail.")
    if to:
        address = valid_address(to)
        if address is None:
            raise UserError(f"“{to}” is not an e-mail address the label can be sent to.")
    elif case.customer_email:
        address = case.customer_email
    else:
        raise UserError(f"Order {case.order_name} has no e-mail address: download the label from the thread instead.")
    shop = settings(services)
    key = stored.label_email_key(rma, label.id, press)

    def send() -> dict[str, Any]:
        message = label_email(
            address, case.sender.name, case.language, case.order_name, rma, label.tracking_number, case.delivery,
            case.pickup_date, label.pdf, shop.email, shop.shop_name, idempotency_key=key,
            return_address=shop.address.lines(), now=services.clock(),
            service_points=[p.one_line() for p in points_from(case.service_points)], qr_code=label.qr_code,
        )  # fmt: skip
        return {"message_id": mailer(services).send(message), "to": address}

    try:
        outcome = run_once(services.db, key, stored.EMAIL_KIND, send, now=services.clock)
    except OperationInProgress:
        raise UserError(f"The e-mail for {rma} is being sent right now.") from None
    except MailError as exc:
        raise UserError(f"The e-mail with the label for {rma} was not sent: {exc}") from exc
    return Emailed(str(outcome.result["to"]), services.clock(), again=bool(label.emails))


def tell_voided(services: Services, case: Case) -> Told:
    """Tell everyone the (now voided) label was e-mailed to that it must not be used, in the case's language."""
    label = case.label
    addresses = tuple(dict.fromkeys(e.to for e in label.emails if e.to)) if label is not None else ()
    if label is None or not addresses:
        return Told()
    shop = settings(services)
    told: list[str] = []
    problems: list[str] = []
    for address in addresses:
        key = stored.void_notice_key(case.rma, label.id, address)

        def send(address: str = address, key: str = key) -> dict[str, Any]:
            message = void_email(
                address, case.sender.name, case.language, case.order_name, case.rma, label.tracking_number,
                shop.email, shop.shop_name, idempotency_key=key, now=services.clock(),
            )  # fmt: skip
            return {"message_id": mailer(services).send(message), "to": address}

        try:
            run_once(services.db, key, stored.VOID_EMAIL_KIND, send, now=services.clock)
            told.append(address)
        except OperationInProgress:
            told.append(address)  # another worker is telling them right now
        except (MailError, UserError) as exc:
            problems.append(f"{address}: {exc}")
    problem = f"The label is voided, but this e-mail was not sent: {'; '.join(problems)}" if problems else ""
    return Told(tuple(told), problem)
