"""Carrying out a cancellation, once: the order's unused labels voided first, then the store, then the customer told.

`run` starts the cancellation (one caller wins: storage.cancellations.start) and does the work under the
cancellation's operation key (storage.operations.run_once), so a double click, a Slack retry, a Retry after a
failure or a second instance never cancels, refunds or e-mails twice:
1. the order is read again and the guards repeated (it may have changed since the form);
2. every label the bot made for the order that has not been used is voided at the carrier (and its return ended
   in the shop, which would otherwise refuse the cancellation); a carrier that finds bookings by our reference is
   asked about returns whose label was never recorded. A label that cannot be voided stops everything: nothing is
   cancelled, and the reason is told;
3. the store cancels (Shopify: orderCancel, its job waited for within a budget; the local store at once);
4. the local store's customer is e-mailed a notice in their language (Shopify sends its own when asked to).

A store job still running after the budget leaves the cancellation `running` with the job's id: `check_running`
(the scheduler's tick) looks at it again and finishes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from commands import carriers
from commands.cancellations import check_order_and_returns
from commands.errors import UserError
from commands.lookup import get_order
from commands.return_cases import cases_for_order
from commands.services import Services
from domain.cancellations import CancelProgress, CancelRefund
from domain.carrier import Carrier, CarrierError
from domain.money import Money
from domain.store import StoreError
from domain.vocabulary import LabelStatus, ReturnStatus, language_for
from integrations.mail import MailError
from integrations.mail.cancellation_texts import cancellation_email
from storage import cancellations as stored
from storage import returns as returns_stored
from storage.cancellations import CancellationView, CancelStatus
from storage.operations import LEASE, OperationInProgress, run_once

log = logging.getLogger(__name__)

CHECK_EVERY = timedelta(seconds=0)  # a running job is looked at on every tick
# the guards passed this recently (on the form's submission: the order read, its returns looked at) are not repeated
# before the store is asked: the store refuses itself what changes in between (a shipment, a cancellation)
RECHECK_AFTER = timedelta(seconds=30)
MAIL_KIND = "cancel_email"


@dataclass(frozen=True)
class Ran:
    """What became of a cancellation this call ran (`ran`), or as it stands when another caller runs it."""

    ran: bool
    cancellation: CancellationView
    voided: tuple[str, ...] = ()  # the RMAs whose labels were voided first
    told: str = ""  # how the customer was told: "email", "store" (the store's own notice) or "" (not told)
    mail_problem: str = ""  # why the e-mail did not go out, in words

    @property
    def running(self) -> bool:
        return self.cancellation.status is CancelStatus.RUNNING

    @property
    def done(self) -> bool:
        return self.cancellation.status is CancelStatus.DONE


def run(services: Services, cancellation_id: int, *, actor: str, plan_no: int, request_id: int) -> Ran:
    """Start and carry out the cancellation as planned (`plan_no`: approved by request `request_id`, or failed before
    and retried); see the module's docstring."""
    started = stored.start(
        services.db, cancellation_id, actor=actor, at=services.clock(), plan_no=plan_no, request_id=request_id
    )
    if started is None:
        return Ran(False, stored.get(services.db, cancellation_id))
    return _carry_out(services, started)


def _carry_out(services: Services, cancellation: CancellationView) -> Ran:
    try:
        outcome = run_once(
            services.db, cancellation.operation_key, "cancel_order", lambda: _cancel(services, cancellation),
            now=services.clock, request={"plan": repr(cancellation.plan)},
        )  # fmt: skip
    except OperationInProgress:
        return Ran(False, stored.get(services.db, cancellation.id))
    except (UserError, StoreError) as exc:
        stored.fail(services.db, cancellation.id, _message(exc), at=services.clock())
        return Ran(True, stored.get(services.db, cancellation.id))
    except Exception:
        stored.fail(services.db, cancellation.id, "Something went wrong on our side while cancelling; the store may or "
                    "may not have cancelled the order. Retry is safe: it never cancels twice.", at=services.clock())
        raise
    result = outcome.result
    voided = tuple(result.get("voided", ()))
    if not result["done"]:
        stored.job_running(services.db, cancellation.id, str(result["job_id"]), voided=list(voided),
                           refunded_before=_progress(result).refunded_before, at=services.clock())  # fmt: skip
        return Ran(True, stored.get(services.db, cancellation.id), voided)
    return _finished(services, cancellation, _progress(result), voided)


def _cancel(services: Services, cancellation: CancellationView) -> dict[str, Any]:
    """The work under the operation key: labels, then the store. Raises UserError (nothing cancelled) in words."""
    if services.clock() - cancellation.checked_at > RECHECK_AFTER:
        # approved later (a team lead), or retried: the order may have shipped or been cancelled since
        order = get_order(services, cancellation.order_id)
        if order.cancelled:  # an earlier attempt whose answer was lost: the store answers as done, nothing is sent
            return _result(services.store.cancel_order(cancellation.plan), [])
        check_order_and_returns(services, order)
    voided = _void_labels(services, cancellation)
    return _result(services.store.cancel_order(cancellation.plan), voided)


def _result(progress: CancelProgress, voided: list[str]) -> dict[str, Any]:
    return {
        "done": progress.done, "job_id": progress.job_id, "voided": voided,
        "cancelled_at": progress.cancelled_at.isoformat() if progress.cancelled_at else None,
        "refunded": str(progress.refunded.amount) if progress.refunded is not None else None,
        "currency": next((m.currency for m in (progress.refunded, progress.refunded_before) if m is not None), None),
        "refunded_before": str(progress.refunded_before.amount) if progress.refunded_before is not None else None,
    }  # fmt: skip


def _void_labels(services: Services, cancellation: CancellationView) -> list[str]:
    """Void every unused label of the order: the bot's own, and bookings a carrier finds by our reference. Each
    label goes to its own carrier (CARRIER_BY_COUNTRY spreads returns over several); one that cannot cancel
    labels is not asked, and the label is recorded as simply expiring, as the Void button does."""
    voided: list[str] = []
    for listed in cases_for_order(services.db, cancellation.order_id):
        case = returns_stored.get_case(services.db, listed.rma) or listed  # with its current label
        label = case.label
        if case.status is ReturnStatus.LABEL_CREATED and label is not None and label.status is LabelStatus.CREATED:
            carrier = _carrier_of(services, case.rma, label.carrier)
            note = _void_at_carrier(carrier, case.rma, label.tracking_number)
            returns_stored.void_label(services.db, case.rma, label.id, services.clock(), note=note)
            if case.store_return_id:
                services.store.cancel_return(case.store_return_id)  # a return in progress would stop the store
            voided.append(case.rma)
        elif case.status is ReturnStatus.REQUESTED and label is None:
            carrier = _carrier_of(services, case.rma, case.carrier)
            found = _booked(carrier, case.rma)
            if found:
                _void_at_carrier(carrier, case.rma, found)
                voided.append(case.rma)
    return voided


def _carrier_of(services: Services, rma: str, name: str) -> Carrier:
    try:
        return carriers.named(services, name)
    except UserError as exc:
        raise UserError(f"The label of return {rma} cannot be voided: {exc} Nothing was cancelled.") from exc


def _booked(carrier: Carrier, rma: str) -> str:
    """The tracking number of a booking made for `rma` that the bot never recorded (a time-out while booking)."""
    if not carrier.finds_by_reference:
        return ""
    try:
        label = carrier.find_shipment(rma)
    except CarrierError as exc:
        raise UserError(f"Could not ask {carrier.title} whether return {rma} was booked: {exc.message} "
                        "Nothing was cancelled.") from exc  # fmt: skip
    return label.tracking_number if label is not None else ""


def _void_at_carrier(carrier: Carrier, rma: str, tracking_number: str) -> str:
    """Cancel the label at its carrier; the note to record when the carrier cannot cancel labels at all."""
    if not carrier.can_void:
        return f"{carrier.title} cannot cancel labels: this one was not used and simply expires."
    try:
        carrier.void(tracking_number)
    except CarrierError as exc:
        raise UserError(f"The label {tracking_number} of return {rma} could not be voided: {exc.message} "
                        "Nothing was cancelled.") from exc  # fmt: skip
    return ""


# -- finishing ---------------------------------------------------------------------------------------


def _finished(
    services: Services, cancellation: CancellationView, progress: CancelProgress, voided: tuple[str, ...]
) -> Ran:
    before = progress.refunded_before or cancellation.refunded_before
    refunded = None
    if progress.refunded is not None and before is not None:
        refunded = Money(max(progress.refunded.amount - before.amount, Decimal(0)), progress.refunded.currency)
    # else: found cancelled before anything of this attempt was recorded, so what it refunded is not known here
    won, done = stored.finish(
        services.db, cancellation.id, at=services.clock(), refunded=refunded, voided=list(voided),
        cancelled_at=progress.cancelled_at, refunded_before=before,
    )  # fmt: skip
    # the customer's notice goes once per order (its own key), and only the caller that finished it reports it
    told, problem = _tell_customer(services, done) if won else ("", "")
    return Ran(won, done, voided, told, problem)


def _tell_customer(services: Services, cancellation: CancellationView) -> tuple[str, str]:
    """The customer's notice: Shopify's own (notify on), or our e-mail for the local store, once per order."""
    if not cancellation.notify_customer:
        return "", ""
    if services.store.notifies_customers:
        return "store", ""
    if services.mailer is None or services.returns is None:
        return "", "e-mail is not set up on this bot, so the customer was not told"
    order = get_order(services, cancellation.order_id)
    if not order.email:
        return "", f"order {order.name} has no e-mail address, so the customer was not told"
    shop = services.returns
    mailer = services.mailer
    key = f"cancel-email:{cancellation.store}:{cancellation.order_id}"
    refunded = cancellation.refunded if cancellation.refunded and cancellation.refunded.amount > 0 else None

    def send() -> dict[str, Any]:
        message = cancellation_email(
            order.email, order.customer_name, language_for(order.locale, order.shipping_address.country), order.name,
            str(refunded.quantized()) if refunded else "", shop.email, shop.shop_name, idempotency_key=key,
            now=services.clock(),
        )  # fmt: skip
        return {"message_id": mailer.send(message), "to": order.email}

    try:
        run_once(services.db, key, MAIL_KIND, send, now=services.clock)
    except OperationInProgress:
        return "email", ""
    except MailError as exc:
        return "", f"the e-mail to the customer was not sent: {exc}"
    return "email", ""


def _progress(result: dict[str, Any]) -> CancelProgress:
    cancelled = result.get("cancelled_at")
    refunded = result.get("refunded")
    return CancelProgress(
        done=True, job_id=str(result.get("job_id") or ""),
        cancelled_at=datetime.fromisoformat(cancelled) if cancelled else None,
        refunded=Money(Decimal(str(refunded)), str(result["currency"])) if refunded is not None else None,
        refunded_before=_money(result.get("refunded_before"), result.get("currency")),
    )  # fmt: skip


def _money(amount: object, currency: object) -> Money | None:
    return Money(Decimal(str(amount)), str(currency)) if amount is not None and currency else None


# -- the tick ----------------------------------------------------------------------------------------


def check_running(services: Services, *, now: datetime) -> list[Ran]:
    """Look at the cancellations still running: a store job finished since (done, or refused), or an attempt a
    stopped instance left behind (run again under its key: the store is read before anything is sent again)."""
    changed: list[Ran] = []
    for cancellation in stored.running(services.db, updated_before=now - CHECK_EVERY):
        if cancellation.job_id:
            ran = _look_at_job(services, cancellation)
        elif cancellation.updated_at <= now - LEASE:
            ran = _carry_out(services, cancellation)
        else:
            continue
        if ran.ran and not ran.running:
            changed.append(ran)
    return changed


def _look_at_job(services: Services, cancellation: CancellationView) -> Ran:
    try:
        progress = services.store.cancel_progress(cancellation.order_id, cancellation.job_id)
    except StoreError as exc:
        stored.fail(services.db, cancellation.id, str(exc), at=services.clock())
        return Ran(True, stored.get(services.db, cancellation.id))
    if not progress.done:
        stored.touch(services.db, cancellation.id, at=services.clock())
        return Ran(False, stored.get(services.db, cancellation.id))
    return _finished(services, cancellation, progress, cancellation.labels_voided)


def _message(exc: Exception) -> str:
    return exc.message if isinstance(exc, UserError) else str(exc)


def refund_words(cancellation: CancellationView) -> str:
    """What the cancellation refunded, in words ("167.90 EUR to the original payment method", "nothing")."""
    refunded = cancellation.refunded
    if refunded is None and cancellation.refund is not CancelRefund.NONE:
        return "what was refunded is not known here (the order was found cancelled already): see it in the store"
    if refunded is None or refunded.amount <= 0 or cancellation.refund is CancelRefund.NONE:
        return "nothing refunded"
    where = "as store credit" if cancellation.refund is CancelRefund.STORE_CREDIT else "to the original payment method"
    return f"{refunded.quantized()} refunded {where}"
