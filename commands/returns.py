"""Return shipments: from an order to a return case with a label, e-mailed to the customer, once only.

The steps, each safe to repeat:
1. `open_case` records the return case under its RMA (R1001-1, R1001-2, …). The RMA is unique in the
   database, so a double click, two agents or two instances opening the order's next return at once
   get one case; the others are told who got there first.
2. `create_label` books the carrier under the operation key `label:<RMA>`: a retry after a failure
   books again, a repeat after success returns the label already made.
3. `email_label` sends the label under `email:<RMA>:<label id>`: one e-mail per label however often
   the button is pressed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commands.errors import UserError
from commands.lookup import get_order
from commands.services import ReturnSettings, Services
from domain.carrier import Carrier, CarrierError, Parcel, ReturnItem, ReturnShipmentRequest
from domain.orders import Address, FulfillmentStatus, Order
from domain.store import StoreError
from domain.vocabulary import language_for
from integrations.mail import Mailer, MailError, label_email
from storage.db import Database
from storage.locks import lock_for_transaction
from storage.models import LabelRow, ReturnCaseRow
from storage.operations import OperationInProgress, run_once

DEFAULT_WEIGHT_GRAMS = 1000  # the export carries no item weights: a typical apparel parcel
MAX_WEIGHT_GRAMS = 30_000  # heavier is not a parcel any carrier here takes
OPEN_STATUSES = ("requested", "label_created", "in_transit")
REASONS = {
    "size_too_small": "Too small",
    "size_too_large": "Too large",
    "unwanted": "Changed mind",
    "not_as_described": "Not as described",
    "wrong_item": "Wrong item sent",
    "defective": "Defective or damaged",
    "style": "Style",
    "color": "Colour",
    "other": "Other",
}
DEFAULT_REASON = "unwanted"


@dataclass(frozen=True)
class Returnable:
    """A shipped line item and how many of it can still come back."""

    line_item_id: str
    name: str
    sku: str
    quantity: int  # still returnable when the draft was made
    shipped: int


@dataclass(frozen=True)
class ReturnDraft:
    """What the return form starts from: the reversed shipment of the order."""

    order: Order
    items: tuple[Returnable, ...]
    sender: Address  # the customer's shipping address
    receiver: Address  # the shop's return address
    language: str


@dataclass(frozen=True)
class ReturnForm:
    quantities: dict[str, int]  # line item id -> how many come back
    reasons: dict[str, str]  # line item id -> a REASONS key
    sender: Address
    weight_grams: int
    delivery: str  # drop_off | pickup
    email_customer: bool
    pickup_date: date | None = None
    pickup_phone: str = ""


@dataclass(frozen=True)
class Case:
    """A return case as the bot reports it."""

    rma: str
    order_id: str
    order_name: str
    status: str
    delivery: str
    pickup_date: date | None
    items: list[dict[str, Any]]
    customer_email: str
    email_customer: bool
    requested_by: str
    created_at: datetime
    slack_channel: str
    slack_thread_ts: str
    error: str = ""
    label: LabelInfo | None = None


@dataclass(frozen=True)
class LabelInfo:
    id: int
    carrier: str
    service: str
    tracking_number: str
    tracking_url: str
    status: str
    pdf: bytes = field(repr=False, default=b"")


@dataclass(frozen=True)
class Opened:
    case: Case
    created: bool  # False: somebody else opened this return first


# -- the draft and the form ------------------------------------------------------------------------


def draft_return(services: Services, order_id: str) -> ReturnDraft:
    """The reversed shipment of an order; a UserError says why nothing can be returned."""
    return draft_for(services, get_order(services, order_id))


def draft_for(services: Services, order: Order) -> ReturnDraft:
    """The same for an order already read from the store (no second read)."""
    if order.cancelled:
        raise UserError(f"Order {order.name} was cancelled: there is nothing to return.")
    shipped = [li for li in order.line_items if li.fulfillment_status == FulfillmentStatus.FULFILLED]
    if not shipped:
        raise UserError(
            f"Nothing in order {order.name} has shipped yet, so there is nothing to return yet. "
            "To stop the order instead, cancel it."
        )
    with services.db.session() as s:
        taken = _quantities_in_returns(s, order.ref.id)
    items = tuple(
        Returnable(li.id, li.name, li.sku, li.quantity - taken.get(li.id, 0), li.quantity)
        for li in shipped
        if li.quantity - taken.get(li.id, 0) > 0
    )
    if not items:
        with services.db.session() as s:
            rmas = ", ".join(_rmas(s, order.ref.id))
        raise UserError(f"Everything shipped in order {order.name} is already in a return ({rmas}).")
    language = language_for(order.locale, order.shipping_address.country)
    return ReturnDraft(order, items, order.shipping_address, _settings(services).address, language)


def default_form(draft: ReturnDraft) -> ReturnForm:
    return ReturnForm(
        quantities={i.line_item_id: i.quantity for i in draft.items},
        reasons={i.line_item_id: DEFAULT_REASON for i in draft.items},
        sender=draft.sender,
        weight_grams=DEFAULT_WEIGHT_GRAMS,
        delivery="drop_off",
        email_customer=bool(draft.order.email),
    )


def form_errors(draft: ReturnDraft, form: ReturnForm, today: date) -> dict[str, str]:
    """Problems with the form, by field: items, weight, address, pickup_date, pickup_phone, email."""
    limits = {i.line_item_id: (i.quantity, i.name) for i in draft.items}
    return check_form(form, limits, has_email=bool(draft.order.email), today=today)


def check_form(form: ReturnForm, limits: dict[str, tuple[int, str]], *, has_email: bool, today: date) -> dict[str, str]:
    """The same checks from what the form was built with (no I/O: a modal submission is checked at once)."""
    errors: dict[str, str] = {}
    for item_id, quantity in form.quantities.items():
        most, name = limits.get(item_id, (0, ""))
        if item_id not in limits or quantity < 0:
            errors["items"] = "Choose items from the order."
        elif quantity > most:
            errors["items"] = f"At most {most} × {name} can be returned."
    if "items" not in errors and sum(form.quantities.values()) <= 0:
        errors["items"] = "Choose at least one item to return."
    if form.weight_grams <= 0:
        errors["weight"] = "The parcel must weigh something: enter its weight in kg, e.g. 1.2."
    elif form.weight_grams > MAX_WEIGHT_GRAMS:
        errors["weight"] = f"At most {MAX_WEIGHT_GRAMS // 1000} kg fits a return parcel."
    missing = _missing_address_parts(form.sender)
    if missing:
        errors["address"] = f"The customer's address is missing the {', '.join(missing)}."
    if form.delivery == "pickup":
        if form.pickup_date is None:
            errors["pickup_date"] = "Choose the day the carrier picks the parcel up."
        elif form.pickup_date <= today:
            errors["pickup_date"] = "A pickup can be booked from tomorrow on."
        if len(re.sub(r"\D", "", form.pickup_phone)) < 6:
            errors["pickup_phone"] = "The carrier needs a phone number for the pickup."
    if form.email_customer and not has_email:
        errors["email"] = "The order has no e-mail address: the label can only go into the thread."
    return errors


def parse_weight(text: str) -> int:
    """`1.2` or `1,2` kg → grams; anything unreadable is 0, which the form reports."""
    try:
        return round(float(text.strip().replace(",", ".")) * 1000)
    except (ValueError, AttributeError):
        return 0


# -- step 1: the case ------------------------------------------------------------------------------


def open_case(
    services: Services, draft: ReturnDraft, form: ReturnForm, actor: str, *, channel: str = "", thread_ts: str = ""
) -> Opened:
    errors = form_errors(draft, form, services.clock().date())
    if errors:
        raise UserError(" ".join(errors.values()))
    order = draft.order
    items = [
        {"line_item_id": i.line_item_id, "name": i.name, "sku": i.sku, "quantity": form.quantities[i.line_item_id],
         "reason": form.reasons.get(i.line_item_id, DEFAULT_REASON)}
        for i in draft.items
        if form.quantities.get(i.line_item_id, 0) > 0
    ]  # fmt: skip
    now = services.clock()
    try:
        with services.db.session(write=True) as s:
            # checked again inside the write: a draft is a snapshot, and another agent may have been faster
            lock_for_transaction(s, f"returns:{order.ref.id}")
            taken = _quantities_in_returns(s, order.ref.id)
            if any(i["quantity"] > _shipped(draft, i["line_item_id"]) - taken.get(i["line_item_id"], 0) for i in items):
                existing = _latest_case(s, order.ref.id)
                if existing is not None and _same_items(existing.items, items):
                    return Opened(_case(existing, None), created=False)  # the same return, clicked twice
                rmas = ", ".join(_rmas(s, order.ref.id))
                raise UserError(f"Some of these items of {order.name} are already in a return ({rmas}).")
            count = s.scalar(
                select(func.count()).select_from(ReturnCaseRow).where(ReturnCaseRow.order_id == order.ref.id)
            )
            rma = f"R{re.sub(r'[^0-9A-Za-z]', '', order.name) or 'X'}-{int(count or 0) + 1}"
            s.add(
                ReturnCaseRow(
                    rma=rma, store=services.store.kind, order_id=order.ref.id, order_name=order.name,
                    status="requested", delivery=form.delivery, pickup_date=form.pickup_date,
                    pickup_phone=form.pickup_phone, weight_grams=form.weight_grams, items=items,
                    sender=_address_dict(form.sender), customer_email=order.email, email_customer=form.email_customer,
                    language=draft.language, requested_by=actor, slack_channel=channel, slack_thread_ts=thread_ts,
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
    except IntegrityError:
        # the order lock makes this all but impossible; the unique RMA is the last guard
        raise UserError(f"Another return of {order.name} was being opened at the same moment. Try again.") from None
    return Opened(get_case(services.db, rma), created=True)


def _shipped(draft: ReturnDraft, line_item_id: str) -> int:
    return next((i.shipped for i in draft.items if i.line_item_id == line_item_id), 0)


def _same_items(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    def key(items: list[dict[str, Any]]) -> list[tuple[str, int]]:
        return sorted((i["line_item_id"], int(i["quantity"])) for i in items)

    return key(a) == key(b)


def _latest_case(s: Session, order_id: str) -> ReturnCaseRow | None:
    return s.scalar(select(ReturnCaseRow).where(ReturnCaseRow.order_id == order_id).order_by(ReturnCaseRow.id.desc()))


def get_case(db: Database, rma: str) -> Case:
    with db.session() as s:
        row = s.scalar(select(ReturnCaseRow).where(ReturnCaseRow.rma == rma))
        if row is None:
            raise UserError(f"There is no return {rma}.")
        label = s.scalar(
            select(LabelRow)
            .where(LabelRow.return_case_id == row.id, LabelRow.status != "voided")
            .order_by(LabelRow.id.desc())
        )
        return _case(row, label)


def set_slack_status(db: Database, rma: str, status_ts: str) -> None:
    with db.session(write=True) as s:
        s.execute(update(ReturnCaseRow).where(ReturnCaseRow.rma == rma).values(slack_status_ts=status_ts))


# -- step 2: the label -----------------------------------------------------------------------------


def create_label(services: Services, rma: str) -> Case:
    """Book the carrier for the case (once); a CarrierError's words are kept for the Retry button."""
    case = get_case(services.db, rma)
    if case.label is not None:
        return case
    carrier = _carrier(services)
    row = _row(services.db, rma)
    request = ReturnShipmentRequest(
        rma=rma, order_name=row.order_name, sender=_address(row.sender), receiver=_settings(services).address,
        parcel=Parcel(row.weight_grams), delivery=row.delivery,  # type: ignore[arg-type]
        # the reason code, not its English label: the slip prints it in the customer's language
        items=[ReturnItem(i["name"], i["sku"], i["quantity"], i["reason"]) for i in row.items],
        created=services.clock().date(), pickup_date=row.pickup_date, pickup_phone=row.pickup_phone,
        language=row.language,
    )  # fmt: skip

    def book() -> dict[str, Any]:
        label = carrier.create_return_shipment(request)
        now = services.clock()
        with services.db.session(write=True) as s:
            case_id = s.scalar(select(ReturnCaseRow.id).where(ReturnCaseRow.rma == rma))
            row = LabelRow(
                return_case_id=case_id, carrier=label.carrier, service=label.service,
                tracking_number=label.tracking_number, tracking_url=label.tracking_url, pdf=label.pdf,
                status="created", created_at=now, updated_at=now,
            )  # fmt: skip
            s.add(row)
            s.execute(
                update(ReturnCaseRow)
                .where(ReturnCaseRow.rma == rma, ReturnCaseRow.status == "requested")
                .values(status="label_created", error="", updated_at=now)
            )
            s.flush()
            return {"label_id": row.id}

    try:
        run_once(services.db, f"label:{rma}", "label", book, now=services.clock)
    except OperationInProgress:
        raise UserError(f"The label for {rma} is being made right now.") from None
    except CarrierError as exc:
        _note_error(services, rma, exc.message)
        raise UserError(f"The carrier could not make the label for {rma}: {exc.message}") from exc
    return get_case(services.db, rma)


def record_in_store(services: Services, rma: str) -> str:
    """The return in the shop's system (Shopify: a return with our tracking), once; its id in the store."""
    case = get_case(services.db, rma)
    if case.label is None:
        raise UserError(f"{rma} has no label yet.")
    label = case.label
    items = [(i["line_item_id"], int(i["quantity"]), REASONS.get(i["reason"], "")) for i in case.items]

    def create() -> dict[str, Any]:
        # our own e-mail carries the label, so the shop does not notify the customer a second time
        return_id = services.store.create_return(
            case.order_id, items, tracking_number=label.tracking_number, tracking_url=label.tracking_url,
            label_url=None, notify_customer=False,
        )  # fmt: skip
        with services.db.session(write=True) as s:
            s.execute(update(ReturnCaseRow).where(ReturnCaseRow.rma == rma).values(shopify_return_id=return_id))
        return {"id": return_id}

    try:
        outcome = run_once(services.db, f"store-return:{rma}", "store_return", create, now=services.clock)
    except OperationInProgress:
        raise UserError(f"The return {rma} is being recorded in the shop right now.") from None
    except StoreError as exc:
        _note_error(services, rma, str(exc))
        raise UserError(f"The label for {rma} is made, but the shop did not record the return: {exc}") from exc
    return str(outcome.result["id"])


# -- step 3: the e-mail ----------------------------------------------------------------------------


def email_label(services: Services, rma: str) -> str:
    """E-mail the label to the customer, once per label; returns where it went."""
    case = get_case(services.db, rma)
    if case.label is None:
        raise UserError(f"{rma} has no label yet to e-mail.")
    if not case.customer_email:
        raise UserError(f"Order {case.order_name} has no e-mail address: download the label from the thread instead.")
    settings = _settings(services)
    label = case.label
    row = _row(services.db, rma)
    key = f"email:{rma}:{label.id}"

    def send() -> dict[str, Any]:
        message = label_email(
            case.customer_email, row.sender.get("name", ""), row.language,
            case.order_name, rma, label.tracking_number, case.delivery, case.pickup_date, label.pdf,
            settings.email, settings.shop_name, idempotency_key=key, return_address=settings.address.lines(),
            now=services.clock(),
        )  # fmt: skip
        return {"message_id": _mailer(services).send(message), "to": case.customer_email}

    try:
        outcome = run_once(services.db, key, "email", send, now=services.clock)
    except OperationInProgress:
        raise UserError(f"The e-mail for {rma} is being sent right now.") from None
    except MailError as exc:
        raise UserError(f"The e-mail with the label for {rma} was not sent: {exc}") from exc
    return str(outcome.result["to"])


# -- helpers ---------------------------------------------------------------------------------------


def _settings(services: Services) -> ReturnSettings:
    if services.returns is None:
        raise UserError("Returns are not set up on this bot (no return address).")
    return services.returns


def _carrier(services: Services) -> Carrier:
    if services.carrier is None:
        raise UserError("No carrier is set up on this bot.")
    return services.carrier


def _mailer(services: Services) -> Mailer:
    if services.mailer is None:
        raise UserError("E-mail is not set up on this bot.")
    return services.mailer


def _note_error(services: Services, rma: str, message: str) -> None:
    with services.db.session(write=True) as s:
        s.execute(update(ReturnCaseRow).where(ReturnCaseRow.rma == rma).values(error=message[:2000]))


def _quantities_in_returns(s: Session, order_id: str) -> dict[str, int]:
    taken: dict[str, int] = {}
    open_cases = select(ReturnCaseRow.items).where(
        ReturnCaseRow.order_id == order_id, ReturnCaseRow.status != "cancelled"
    )
    for items in s.scalars(open_cases):
        for item in items:
            taken[item["line_item_id"]] = taken.get(item["line_item_id"], 0) + int(item["quantity"])
    return taken


def _rmas(s: Session, order_id: str) -> list[str]:
    stmt = select(ReturnCaseRow.rma).where(ReturnCaseRow.order_id == order_id).order_by(ReturnCaseRow.id)
    return list(s.scalars(stmt))


def _missing_address_parts(address: Address) -> list[str]:
    parts = (("name", address.name), ("street", address.address1), ("postcode", address.zip),
             ("city", address.city), ("country", address.country))  # fmt: skip
    return [what for what, value in parts if not value.strip()]


def _address_dict(address: Address) -> dict[str, str]:
    return {k: getattr(address, k) for k in Address.__slots__}  # type: ignore[attr-defined]


def _address(data: dict[str, str]) -> Address:
    return replace(Address(), **{k: v for k, v in data.items() if k in Address.__slots__})  # type: ignore[attr-defined]


def _row(db: Database, rma: str) -> ReturnCaseRow:
    with db.session() as s:
        row = s.scalar(select(ReturnCaseRow).where(ReturnCaseRow.rma == rma))
        if row is None:
            raise UserError(f"There is no return {rma}.")
        return row


def _case(row: ReturnCaseRow, label: LabelRow | None) -> Case:
    info = None
    if label is not None:
        info = LabelInfo(
            label.id,
            label.carrier,
            label.service,
            label.tracking_number or "",
            label.tracking_url,
            label.status,
            label.pdf or b"",
        )
    return Case(
        rma=row.rma, order_id=row.order_id, order_name=row.order_name, status=row.status, delivery=row.delivery,
        pickup_date=row.pickup_date, items=list(row.items), customer_email=row.customer_email,
        email_customer=row.email_customer, requested_by=row.requested_by, created_at=row.created_at,
        slack_channel=row.slack_channel, slack_thread_ts=row.slack_thread_ts, error=row.error, label=info,
    )  # fmt: skip


# -- after the label -------------------------------------------------------------------------------


def void_label(services: Services, rma: str, actor: str) -> Case:
    """Void the label while the parcel has not moved; the return is cancelled and its items free again."""
    case = get_case(services.db, rma)
    if case.label is None:
        raise UserError(f"{rma} has no label to void.")
    if case.label.status != "created":
        raise UserError(
            f"The label of {rma} can no longer be voided: the parcel is {case.label.status.replace('_', ' ')}."
        )
    _carrier(services).void(case.label.tracking_number)
    now = services.clock()
    with services.db.session(write=True) as s:
        voided = s.execute(
            update(LabelRow).where(LabelRow.id == case.label.id, LabelRow.status == "created")
            .values(status="voided", updated_at=now)
        ).rowcount  # fmt: skip
        if voided == 1:
            s.execute(
                update(ReturnCaseRow).where(ReturnCaseRow.rma == rma, ReturnCaseRow.status == "label_created")
                .values(status="cancelled", updated_at=now)
            )  # fmt: skip
    with services.db.session() as s:
        row = s.scalar(select(ReturnCaseRow).where(ReturnCaseRow.rma == rma))
        label = s.get(LabelRow, case.label.id)
        assert row is not None
        return _case(row, label)


def can_return(services: Services, order: Order) -> bool:
    """Whether the order card offers "Create return": something shipped that is not in a return yet."""
    if order.cancelled:
        return False
    shipped = {li.id: li.quantity for li in order.line_items if li.fulfillment_status == FulfillmentStatus.FULFILLED}
    if not shipped:
        return False
    with services.db.session() as s:
        taken = _quantities_in_returns(s, order.ref.id)
    return any(quantity > taken.get(item_id, 0) for item_id, quantity in shipped.items())


def cases_for_order(db: Database, order_id: str) -> list[Case]:
    with db.session() as s:
        rows = s.scalars(select(ReturnCaseRow).where(ReturnCaseRow.order_id == order_id).order_by(ReturnCaseRow.id))
        return [_case(r, None) for r in rows]


def list_cases(services: Services, which: str, user: str, overdue_days: int) -> list[Case]:
    """Open returns, newest first: all of them, the overdue ones, or the ones `user` started."""
    stmt = select(ReturnCaseRow).where(ReturnCaseRow.status.in_(OPEN_STATUSES))
    if which == "mine":
        stmt = stmt.where(ReturnCaseRow.requested_by == user)
    elif which == "overdue":
        cutoff = services.clock() - timedelta(days=overdue_days)
        stmt = stmt.where(ReturnCaseRow.created_at <= cutoff)
    with services.db.session() as s:
        rows = list(s.scalars(stmt.order_by(ReturnCaseRow.created_at.desc(), ReturnCaseRow.id.desc()).limit(200)))
        labels = {
            label.return_case_id: label
            for label in s.scalars(
                select(LabelRow).where(LabelRow.return_case_id.in_([r.id for r in rows]), LabelRow.status != "voided")
            )
        }
        return [_case(r, labels.get(r.id)) for r in rows]
