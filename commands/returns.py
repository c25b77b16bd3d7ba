"""Return shipments: from an order to a return case with a label, e-mailed to the customer, once only.

The steps, each safe to repeat:
1. `open_case` records the return case under its RMA (R1001-1, R1001-2, …). The RMA is unique in the
   database, so a double click, two agents or two instances opening the order's next return at once
   get one case; the others are told who got there first.
2. `create_label` books the carrier under the operation key `label:<RMA>`: a retry after a failure
   books again, a repeat after success returns the label already made. `record_in_store` then records
   the return in a store that keeps returns of its own (Shopify), once.
3. `return_mail.email_label` sends the label (see there for when it is sent again).

The draft and the form are in `commands.return_form`, reading cases in `commands.return_cases`; this module
re-exports what the Slack side uses, so that it imports one workflow module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from commands import carriers
from commands.errors import UserError
from commands.return_cases import (
    LISTS,
    Case,
    LabelInfo,
    SentEmail,
    cases_for_order,
    get_case,
    list_cases,
    set_slack_status,
)
from commands.return_form import (
    DEFAULT_REASON,
    DEFAULT_WEIGHT_GRAMS,
    MAX_WEIGHT_GRAMS,
    REASONS,
    Returnable,
    ReturnDraft,
    ReturnForm,
    can_return,
    carrier_errors,
    default_form,
    draft_for,
    draft_return,
    entry_errors,
    form_errors,
    item_errors,
    parse_quantity,
    parse_weight,
    returnable,
    settings,
)
from commands.return_mail import Emailed, Told, email_label, tell_voided, valid_address
from commands.services import Services
from domain.carrier import Carrier, CarrierError, Label, Parcel, ReturnItem, ReturnShipmentRequest, ServicePoint
from domain.orders import Order
from domain.store import StoreError
from domain.vocabulary import Delivery, LabelStatus, ReturnStatus
from storage import return_lifecycle as lifecycle
from storage import returns as stored
from storage.operations import OperationInProgress, run_once

__all__ = [
    "DEFAULT_REASON",
    "DEFAULT_WEIGHT_GRAMS",
    "LISTS",
    "MAX_WEIGHT_GRAMS",
    "REASONS",
    "BookingUnknown",
    "CarrierFailed",
    "Case",
    "Emailed",
    "LabelInfo",
    "Opened",
    "OrderReturns",
    "ReturnDraft",
    "ReturnForm",
    "Returnable",
    "SentEmail",
    "Told",
    "Voided",
    "can_return",
    "carrier_errors",
    "carrier_of",
    "cases_for_order",
    "create_label",
    "default_form",
    "draft_for",
    "draft_return",
    "email_label",
    "entry_errors",
    "form_errors",
    "get_case",
    "item_errors",
    "list_cases",
    "open_case",
    "order_returns",
    "parse_quantity",
    "parse_weight",
    "record_in_store",
    "set_slack_status",
    "share_label_once",
    "valid_address",
    "void_label",
]  # fmt: skip


# a case whose Slack steps are not done this long after it was opened was left by a stopped instance: the scheduler
# finishes them (`resume:<rma>`); far beyond the seconds the steps take, and the label operation's lease
RESUME_AFTER = timedelta(minutes=10)
# the drop-off points asked for beside each booking, on threads kept between bookings (a thread started for each
# one would be started just as the booking goes out, and hold it up)
_POINTS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="points")


@dataclass(frozen=True)
class Opened:
    case: Case
    created: bool  # False: somebody else opened this return first


@dataclass(frozen=True)
class Voided:
    case: Case  # with the voided label
    told: Told  # who heard by e-mail that the label must not be used
    at_carrier: bool = True  # False: the carrier cannot cancel labels; this one simply expires


class CarrierFailed(UserError):
    """The carrier did not make the label. `fields`: what it said about the form's fields (the form shows them);
    `retryable`: the same request may work later (the thread offers Retry)."""

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})
        self.retryable = retryable


class BookingUnknown(UserError):
    """A booking went out and no answer came, and the carrier cannot be asked by our reference: an agent decides
    (the thread offers Check and Book again) — the bot never books a second time on its own."""

    def __init__(self, rma: str, carrier: Carrier) -> None:
        super().__init__(
            f"{carrier.title} may or may not have booked return {rma}: the booking got no answer. Look for a "
            f"shipment with the reference {rma} in {carrier.title}'s own tools, then press Book again only if "
            "there is none."
        )
        self.rma = rma
        self.can_check = carrier.finds_by_reference


@dataclass
class _Points:
    """The drop-off points asked for beside the booking (the e-mail lists them)."""

    wanted: bool
    found: list[dict[str, Any]] = field(default_factory=list)
    saved: bool = False  # kept with the label


# -- step 1: the case ------------------------------------------------------------------------------


def open_case(
    services: Services, draft: ReturnDraft, form: ReturnForm, actor: str, *, channel: str = "", thread_ts: str = ""
) -> Opened:
    errors = form_errors(draft, form, services.clock().date()) | carrier_errors(services, form)
    if errors:
        raise UserError(" ".join(errors.values()))
    chosen = carriers.named(services, form.carrier)
    order = draft.order
    items = [
        {"line_item_id": i.line_item_id, "name": i.name, "sku": i.sku, "quantity": form.quantities[i.line_item_id],
         "reason": form.reasons.get(i.line_item_id, DEFAULT_REASON)}
        for i in draft.items
        if form.quantities.get(i.line_item_id, 0) > 0
    ]  # fmt: skip
    new = stored.NewCase(
        store=services.store.kind, order_id=order.ref.id, order_name=order.name, delivery=form.delivery,
        pickup_date=form.pickup_date, pickup_phone=form.pickup_phone, weight_grams=form.weight_grams, items=items,
        sender=form.sender, customer_email=order.email, email_customer=form.email_customer, language=draft.language,
        requested_by=actor, slack_channel=channel, slack_thread_ts=thread_ts, carrier=chosen.name,
        service_point_id=form.service_point_id if form.delivery == Delivery.DROP_OFF else "",
        exchange=exchange_lines(items, form),
    )  # fmt: skip
    prefix = f"R{re.sub(r'[^0-9A-Za-z]', '', order.name) or 'X'}"
    shipped = {i.line_item_id: i.shipped for i in draft.items}
    try:
        now = services.clock()
        # the case as written (or, clicked twice, as it is): the booking starts without reading it back
        case, created = stored.insert_case(services.db, new, shipped, prefix, now, resume_at=now + RESUME_AFTER)
    except stored.ItemsTaken as exc:
        raise UserError(
            f"Some of these items of {order.name} are already in a return ({', '.join(exc.rmas)})."
        ) from None
    except stored.CaseRace:
        raise UserError(f"Another return of {order.name} was being opened at the same moment. Try again.") from None
    return Opened(case, created=created)


def exchange_lines(items: list[dict[str, Any]], form: ReturnForm) -> list[dict[str, Any]]:
    """The items exchanged rather than refunded: as many of the new variant as come back (shipped at receipt)."""
    return [
        {"line_item_id": i["line_item_id"], "name": i["name"], "quantity": i["quantity"],
         "variant_id": form.exchanges[i["line_item_id"]], "title": form.exchange_titles.get(i["line_item_id"], "")}
        for i in items
        if form.exchanges.get(i["line_item_id"])
    ]  # fmt: skip


@dataclass(frozen=True)
class OrderReturns:
    """What the order card says of returns."""

    cases: list[Case]  # every return of the order, oldest first, without labels
    can_return: bool  # something shipped is in no return yet: the card offers "Create return"


def order_returns(services: Services, order: Order) -> OrderReturns:
    """The order's returns and whether it can have another, from one read: `can_return`'s rule, on the cases the
    card lists anyway (what they hold unless cancelled) instead of reading their items a second time."""
    cases = cases_for_order(services.db, order.ref.id)
    taken: dict[str, int] = {}
    for case in cases:
        if case.status != ReturnStatus.CANCELLED:
            for item in case.items:
                taken[item["line_item_id"]] = taken.get(item["line_item_id"], 0) + int(item["quantity"])
    return OrderReturns(cases, returnable(order, taken))


# -- step 2: the label -----------------------------------------------------------------------------


def carrier_of(services: Services, case: Case) -> Carrier:
    """The carrier of the case: the one that made its label, else the one it was opened with."""
    return carriers.named(services, case.label.carrier if case.label is not None else case.carrier)


def create_label(
    services: Services, rma: str, *, book_again: bool = False, case: Case | None = None,
    sending: Callable[[], None] | None = None,
) -> Case:  # fmt: skip
    """Book the carrier for the case, once; a CarrierError's words are kept for the Retry button.

    Never twice: the booking intent is stored before the carrier is called (`stored.begin_booking`), with our RMA
    as the shipment's reference. When an earlier attempt went out and got no answer (a time-out, a crash between
    booking and saving), a carrier that can search by reference is asked first, and its booking is kept; one that
    cannot puts the case in "booking unknown", and only an agent's `book_again` books once more.
    Raises CarrierFailed (with the carrier's words about the form's fields) or BookingUnknown.

    `case`: the case just read (`open_case`'s), so that it is not read again before the booking; `sending` is
    called once the intent is stored, as the carrier is about to be called (work beside the booking waits for it,
    so as not to hold the booking up). The label made here is returned without reading the case back."""
    if case is None or case.rma != rma:
        case = get_case(services.db, rma)
    if case.label is not None:
        return case
    booking = carrier_of(services, case)
    if case.booking == stored.BOOKING_UNKNOWN and not book_again and not booking.finds_by_reference:
        raise BookingUnknown(rma, booking)
    request = ReturnShipmentRequest(
        rma=rma, order_name=case.order_name, sender=case.sender, receiver=settings(services).address,
        parcel=Parcel(case.weight_grams), delivery=case.delivery,
        # the reason code, not its English label: the slip prints it in the customer's language
        items=[ReturnItem(i["name"], i["sku"], i["quantity"], i["reason"]) for i in case.items],
        created=services.clock().date(), pickup_date=case.pickup_date, pickup_phone=case.pickup_phone,
        language=case.language, customer_email=case.customer_email, service_point_id=case.service_point_id,
    )  # fmt: skip
    points = _Points(wanted=case.delivery == Delivery.DROP_OFF and not case.service_points)
    made: list[Case] = []  # the case as this call's booking left it
    before: list[str] = []  # the booking intent recorded before this one's (stored.begin_booking)

    def book() -> dict[str, Any]:
        if sending is not None:
            sending()
        label: Label | None = None
        if before[0] and booking.finds_by_reference:
            label = booking.find_shipment(rma)  # an earlier attempt may have booked it: keep that booking
        elif before[0] and not book_again:
            stored.set_booking(services.db, rma, stored.BOOKING_UNKNOWN, services.clock())
            raise BookingUnknown(rma, booking)
        if label is None:
            label = _book_beside_points(services, booking, request, points)
        new = stored.NewLabel(label.carrier, label.service, label.tracking_number, label.tracking_url, label.pdf,
                              reference=label.reference, qr_code=label.qr_code, note=label.problem)  # fmt: skip
        now = services.clock()
        labelled = stored.add_label(services.db, rma, new, now, due=_after_label(services, now),
                                    service_points=points.found or None)  # fmt: skip
        points.saved = True
        made.append(labelled)
        return {"label_id": labelled.label.id if labelled.label is not None else None}

    try:
        # the intent is stored in the transaction that takes the label's key: one write before the carrier, not two
        run_once(services.db, f"label:{rma}", "label", book, now=services.clock,
                 on_claim=lambda s: before.append(stored.begin_booking_in(s, rma, services.clock())))  # fmt: skip
    except OperationInProgress:
        raise UserError(f"The label for {rma} is being made right now.") from None
    except BookingUnknown as exc:
        stored.note_error(services.db, rma, exc.message)
        raise
    except CarrierError as exc:
        if exc.maybe_booked and not booking.finds_by_reference:
            stored.set_booking(services.db, rma, stored.BOOKING_UNKNOWN, services.clock())
            stored.note_error(services.db, rma, exc.message)
            raise BookingUnknown(rma, booking) from exc
        if not exc.maybe_booked:
            stored.set_booking(services.db, rma, "", services.clock())  # the carrier answered: nothing was booked
        stored.note_error(services.db, rma, exc.message)
        raise CarrierFailed(
            f"{booking.title} could not make the label for {rma}: {exc.message}",
            fields=exc.fields, retryable=exc.retryable,
        ) from exc  # fmt: skip
    finally:
        if points.found and not points.saved:  # asked for, but the label failed: kept for the next try's e-mail
            stored.set_service_points(services.db, rma, points.found)
    # the label made just now comes back from its write: the file goes into the thread sooner
    return made[0] if made else get_case(services.db, rma)


def _book_beside_points(services: Services, booking: Carrier, request: ReturnShipmentRequest, points: _Points) -> Label:
    """Book the return; the nearest drop-off points (for the e-mail) are asked for at the same time."""
    if not points.wanted:
        return booking.create_return_shipment(request)
    nearest = _POINTS.submit(carriers.nearest_points, services, booking, request.sender)
    try:
        return booking.create_return_shipment(request)
    finally:
        points.found.extend(carriers.point_dicts(nearest.result()))


def _after_label(services: Services, now: datetime) -> list[stored.Due]:
    """What the scheduler does about a case once its label exists, unless it comes back first."""
    times = services.lifecycle
    return [
        (lifecycle.REMINDER, now + timedelta(days=times.reminder_days)),
        (lifecycle.ESCALATION, now + timedelta(days=times.escalation_days)),
        (lifecycle.EXPIRY, now + timedelta(days=times.expiry_days)),
    ]


def record_in_store(services: Services, rma: str, *, case: Case | None = None) -> str:
    """The return in the shop's own system (Shopify: a return with our tracking), once; its id there.
    "" for a store whose only record of returns is the bot's own case (the local store). `case`: the case with
    its label, as `create_label` gave it (not read again)."""
    if case is None or case.rma != rma:
        case = get_case(services.db, rma)
    label = case.label
    if label is None:
        raise UserError(f"{rma} has no label yet.")
    if not services.store.keeps_returns:
        return ""
    items = [(i["line_item_id"], int(i["quantity"]), REASONS.get(i["reason"], "")) for i in case.items]

    def create() -> dict[str, Any]:
        # our own e-mail carries the label, so the shop does not notify the customer a second time
        return_id = services.store.create_return(
            case.order_id, items, tracking_number=label.tracking_number, tracking_url=label.tracking_url,
            label_url=None, notify_customer=False,
        )  # fmt: skip
        stored.set_store_return_id(services.db, rma, return_id)
        return {"id": return_id}

    try:
        outcome = run_once(services.db, f"store-return:{rma}", "store_return", create, now=services.clock)
    except OperationInProgress:
        raise UserError(f"The return {rma} is being recorded in the shop right now.") from None
    except StoreError as exc:
        stored.note_error(services.db, rma, str(exc))
        raise UserError(f"The label for {rma} is made, but the shop did not record the return: {exc}") from exc
    return str(outcome.result["id"])


def share_label_once(services: Services, case: Case, share: Callable[[], str]) -> bool:
    """Run `share` (put the label's PDF where the agents work; it returns the file's id) once per label,
    however often the steps are retried. False when another worker is sharing it right now."""
    if case.label is None:
        raise UserError(f"{case.rma} has no label yet.")
    key = f"slack-file:{case.rma}:{case.label.id}"
    try:
        run_once(services.db, key, "slack_file", lambda: {"file": share()}, now=services.clock)
    except OperationInProgress:
        return False
    return True


# -- after the label -------------------------------------------------------------------------------


def void_label(services: Services, rma: str, actor: str) -> Voided:
    """Void the label while the parcel has not moved; the return is cancelled and its items are free again.
    Whoever the label was e-mailed to is told that it must not be used. A carrier that cannot cancel labels is
    not asked: the case records that the label simply expires."""
    case = get_case(services.db, rma)
    label = case.label
    if label is None:
        raise UserError(f"{rma} has no label to void.")
    if label.status != LabelStatus.CREATED:
        raise UserError(f"The label of {rma} can no longer be voided: the parcel is {label.status.replace('_', ' ')}.")
    booking = carriers.named(services, label.carrier)
    note = ""
    if booking.can_void:
        try:
            booking.void(label.tracking_number)
        except CarrierError as exc:
            raise UserError(f"The carrier did not void the label of {rma}: {exc.message}") from exc
    else:
        note = f"{booking.title} cannot cancel labels: this one was not used and simply expires."
    won = stored.void_label(services.db, rma, label.id, services.clock(), note=note)
    # only the call that voided it tells the customer: a second click must not send a second notice
    told = tell_voided(services, _with_label(services, rma, label.id)) if won else Told()
    return Voided(_with_label(services, rma, label.id), told, at_carrier=booking.can_void)


def _with_label(services: Services, rma: str, label_id: int) -> Case:
    """The case with label `label_id`, voided or not, and who it was e-mailed to."""
    case = stored.get_case(services.db, rma, label_id=label_id)
    if case is None:
        raise UserError(f"There is no return {rma}.")
    return case


# -- the carrier's side of the form and the thread ----------------------------------------------------------


@dataclass(frozen=True)
class FormChoices:
    """What the return form offers beside the order: the carriers set up, and the drop-off points of the draft's
    carrier nearest to the customer (asked once, when the form opens)."""

    carriers: list[tuple[str, str]]  # (name, title), the draft's carrier first
    points: list[ServicePoint]
    points_carrier: str  # whose points they are: a form that changes carrier leaves the point to the carrier


def form_choices(services: Services, draft: ReturnDraft) -> FormChoices:
    known = carriers.all_carriers(services)
    ordered = sorted(known.values(), key=lambda c: c.name != draft.carrier)
    chosen = known.get(draft.carrier)
    points = carriers.nearest_points(services, chosen, draft.sender) if chosen is not None else []
    return FormChoices([(c.name, c.title) for c in ordered], points, draft.carrier)


def withdraw_refused(services: Services, rma: str) -> bool:
    """The carrier refused what the form said and nothing was booked: the case is cancelled, so that the corrected
    form opens a new one. False when a booking may be out (then the case stays, with Retry)."""
    return stored.drop_unbooked(services.db, rma, services.clock())


def carrier_title(services: Services, case: Case) -> str:
    try:
        return carrier_of(services, case).title
    except UserError:
        return case.label.carrier if case.label is not None else case.carrier


def voids_at_carrier(services: Services, case: Case) -> bool:
    """Whether Void cancels the label at its carrier (False: the label simply expires)."""
    try:
        return carrier_of(services, case).can_void
    except UserError:
        return False
