"""Return cases and their labels: every read and write of `return_cases` and `labels`.

    case:  requested -> label_created -> in_transit -> received -> resolved, or cancelled / expired
    label: created -> voided | in_transit -> delivered

Every transition is ONE conditional UPDATE (`... WHERE id = :id AND status = :expected`): whoever's UPDATE
changes the row has won, so two clicks or two instances cannot both void a label. Opening a case decides
from what it reads ("are these items already in a return?"), so it holds the order's transaction lock
(`storage.locks`) while it reads and inserts; the unique RMA is the last guard.

The e-mails a label went out in are the succeeded `email` operations under its key (`label_email_key`), and
the notices that it was voided the `void_email` ones (`void_notice_key`): `run_once` already keeps who each
went to and when, so nothing is written twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, Table, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningUpdate

from domain.orders import Address
from domain.vocabulary import OPEN_RETURN_STATUSES, Delivery, LabelStatus, ReturnStatus
from storage import reminders
from storage.db import Database
from storage.locks import lock_for_transaction
from storage.models import LabelRow, OperationRow, ReturnCaseRow

MAX_ERROR = 2000
LIST_LIMIT = 200
EMAIL_KIND = "email"  # the operation kind of a label e-mail (storage.operations)
VOID_EMAIL_KIND = "void_email"  # ... and of the notice that a label was voided
RESUME = "resume"  # the reminder kind that finishes a case's Slack steps (see insert_case)
# a case's booking intent: a booking request went out with no answer recorded yet; an agent must say what to do
BOOKING_SENT, BOOKING_UNKNOWN = "sent", "unknown"

Due = tuple[str, datetime]  # (reminder kind, when): scheduled as "<kind>:<rma>"

_ADDRESS_FIELDS = tuple(f.name for f in dataclasses.fields(Address))


class ItemsTaken(Exception):
    """Some of the items are already in other returns of the order (listed in `rmas`)."""

    def __init__(self, rmas: Sequence[str]) -> None:
        super().__init__(", ".join(rmas))
        self.rmas = list(rmas)


class CaseRace(Exception):
    """Another return of the order was inserted at the same moment (the unique RMA refused ours)."""


@dataclass(frozen=True)
class SentEmail:
    to: str
    at: datetime


@dataclass(frozen=True)
class LabelView:
    id: int
    carrier: str
    service: str
    tracking_number: str
    tracking_url: str
    status: LabelStatus
    pdf: bytes = field(repr=False, default=b"")
    emails: tuple[SentEmail, ...] = ()  # oldest first
    void_notices: tuple[SentEmail, ...] = ()  # who was told that the (voided) label must not be used
    reference: str = ""  # the carrier's shipment id
    qr_code: str = ""  # QR data for label-less drop-off
    note: str = ""  # what failed beside the label (a pickup not booked)
    void_note: str = ""  # voided here only: why the carrier was not asked (the label simply expires)


@dataclass(frozen=True)
class CaseView:
    """A return case as the workflows read it."""

    rma: str
    order_id: str
    order_name: str
    status: ReturnStatus
    delivery: Delivery
    pickup_date: date | None
    items: list[dict[str, Any]]  # [{line_item_id, name, sku, quantity, reason}]
    customer_email: str
    email_customer: bool
    requested_by: str
    created_at: datetime
    slack_channel: str
    slack_thread_ts: str
    error: str = ""
    label: LabelView | None = None
    sender: Address = field(default_factory=Address)
    weight_grams: int = 0
    pickup_phone: str = ""
    language: str = "en"
    slack_status_ts: str = ""
    store_return_id: str = ""
    # after the label (storage.return_lifecycle)
    resolution: str = ""  # refund | replacement | kept | "" (not decided: a refund, as most returns are)
    received_at: datetime | None = None
    received_by: str = ""  # a Slack user id, "carrier" or "shopify"
    received_source: str = ""  # slack | carrier | shopify
    receipt: list[dict[str, Any]] = field(default_factory=list)  # [{line_item_id, name, quantity, condition}]
    receipt_note: str = ""
    snoozed_until: datetime | None = None
    slack_reminder_ts: str = ""  # the reminder in the thread, which its buttons update
    finished_at: datetime | None = None  # the Slack steps after the label are done
    # the carrier (migration 0008): see ReturnCaseRow
    carrier: str = ""
    service_point_id: str = ""
    service_points: list[dict[str, Any]] = field(default_factory=list)
    booking: str = ""  # "" | BOOKING_SENT | BOOKING_UNKNOWN
    booking_at: datetime | None = None
    # exchanges (migration 0009): see ReturnCaseRow
    exchange: list[dict[str, Any]] = field(default_factory=list)
    exchange_request_id: int | None = None


@dataclass(frozen=True)
class NewCase:
    """What a new return case is made of; the RMA is numbered when it is inserted."""

    store: str
    order_id: str
    order_name: str
    delivery: Delivery
    pickup_date: date | None
    pickup_phone: str
    weight_grams: int
    items: list[dict[str, Any]]
    sender: Address
    customer_email: str
    email_customer: bool
    language: str
    requested_by: str
    slack_channel: str
    slack_thread_ts: str
    carrier: str = ""  # "" = the bot's default carrier
    service_point_id: str = ""
    service_points: list[dict[str, Any]] = field(default_factory=list)
    exchange: list[dict[str, Any]] = field(default_factory=list)  # [{line_item_id, name, quantity, variant_id, title}]


@dataclass(frozen=True)
class NewLabel:
    carrier: str
    service: str
    tracking_number: str
    tracking_url: str
    pdf: bytes = field(repr=False)
    reference: str = ""
    qr_code: str = ""
    note: str = ""


# -- opening a case --------------------------------------------------------------------------------------


def insert_case(
    db: Database,
    new: NewCase,
    shipped: Mapping[str, int],
    rma_prefix: str,
    at: datetime,
    *,
    resume_at: datetime | None = None,
) -> tuple[CaseView, bool]:
    """Insert the case as `<rma_prefix>-<n>`; (the case as a read would give it, True). The same items clicked
    twice: (the first case, with its label if it has one, False). Raises ItemsTaken when other returns hold some
    of the items, CaseRace when the RMA was taken.

    `resume_at`: in the same transaction, the scheduler is told to finish the case's Slack steps then, should
    the instance making it stop before they are done (`resume:<rma>`; cancelled when they are)."""
    try:
        with db.session(write=True) as s:
            # checked again inside the write: a draft is a snapshot, and another agent may have been faster
            lock_for_transaction(s, f"returns:{new.order_id}")
            # one read of the order's returns: what they hold (the cancelled ones hold nothing) and how many there are
            held = s.execute(
                select(ReturnCaseRow.rma, ReturnCaseRow.status, ReturnCaseRow.items)
                .where(ReturnCaseRow.order_id == new.order_id)
                .order_by(ReturnCaseRow.id)
            ).all()
            taken = _taken(items for _rma, status, items in held if status != ReturnStatus.CANCELLED)
            left = {item_id: shipped.get(item_id, 0) - taken.get(item_id, 0) for item_id in shipped}
            if any(int(i["quantity"]) > left.get(i["line_item_id"], 0) for i in new.items):
                first = _case_view(s, held[-1].rma) if held and _same_items(held[-1].items, new.items) else None
                if first is not None:
                    return first, False  # the same return, clicked twice
                raise ItemsTaken([row.rma for row in held])
            rma = f"{rma_prefix}-{len(held) + 1}"
            values = {f.name: getattr(new, f.name) for f in dataclasses.fields(new)}
            values["sender"] = _address_dict(new.sender)
            # RETURNING the whole row: the case as a read gives it (the columns' defaults too), without reading it back
            values.update(rma=rma, status=ReturnStatus.REQUESTED, created_at=at, updated_at=at)
            row = s.scalars(_INSERT_CASE, [values]).one()
            if resume_at is not None:
                reminders.schedule(s, key=resume_key(rma), kind=RESUME, subject=rma, due_at=resume_at, now=at)
            return _view(row, None), True
    except IntegrityError:
        # the order lock makes this all but impossible; the unique RMA is the last guard
        raise CaseRace(new.order_id) from None


def quantities_in_returns(db: Database, order_id: str) -> dict[str, int]:
    """Line item id -> units in the order's returns that were not cancelled."""
    with db.session() as s:
        return _quantities_in_returns(s, order_id)


def rmas(db: Database, order_id: str) -> list[str]:
    with db.session() as s:
        return _rmas(s, order_id)


# -- reading ---------------------------------------------------------------------------------------------


def get_case(db: Database, rma: str, *, label_id: int | None = None) -> CaseView | None:
    """The case with its current label (the newest not voided), or with label `label_id` whatever its status."""
    with db.session() as s:
        return _case_view(s, rma, label_id=label_id)


def cases_for_order(db: Database, order_id: str) -> list[CaseView]:
    """Every return of the order, oldest first, without labels."""
    with db.session() as s:
        return [_view(r, None) for r in s.scalars(_cases(order_id).order_by(ReturnCaseRow.id))]


def open_cases(
    db: Database, *, requested_by: str | None = None, created_before: datetime | None = None
) -> list[CaseView]:
    """Open returns (at most LIST_LIMIT), newest first, with their current labels."""
    stmt = select(ReturnCaseRow).where(ReturnCaseRow.status.in_(OPEN_RETURN_STATUSES))
    if requested_by is not None:
        stmt = stmt.where(ReturnCaseRow.requested_by == requested_by)
    if created_before is not None:
        stmt = stmt.where(ReturnCaseRow.created_at <= created_before)
    stmt = stmt.order_by(ReturnCaseRow.created_at.desc(), ReturnCaseRow.id.desc()).limit(LIST_LIMIT)
    with db.session() as s:
        rows = list(s.scalars(stmt))
        current = select(LabelRow).where(
            LabelRow.return_case_id.in_([r.id for r in rows]), LabelRow.status != LabelStatus.VOIDED
        )
        labels = {label.return_case_id: label for label in s.scalars(current.order_by(LabelRow.id))}
        return [_view(r, labels.get(r.id)) for r in rows]


def resume_key(rma: str) -> str:
    """The scheduler's row that finishes a case's Slack steps if the instance making them stopped."""
    return f"{RESUME}:{rma}"


def label_email_key(rma: str, label_id: int, press: str = "") -> str:
    """The operation key of one e-mail of a label: the first (automatic) one, or one per agent's press."""
    return f"email:{rma}:{label_id}" + (f":{press}" if press else "")


def void_notice_key(rma: str, label_id: int, address: str = "") -> str:
    """The operation key of the notice that a label was voided, one per address it had gone to."""
    return f"void-email:{rma}:{label_id}" + (f":{address}" if address else "")


# -- writing ---------------------------------------------------------------------------------------------


def add_label(
    db: Database, rma: str, label: NewLabel, at: datetime, *, due: Sequence[Due] = (),
    service_points: Sequence[Mapping[str, Any]] | None = None,
) -> CaseView:  # fmt: skip
    """Record the carrier's label; the case moves requested -> label_created. Returns the case as a read would give
    it now, with the new label (its id: `.label.id`).
    `due`: what the scheduler is to do about the case later (a reminder, an escalation, the expiry), scheduled
    in the same transaction: a label never exists without them. `service_points`: the nearest drop-off points,
    asked for beside the booking, kept in the same write."""
    with db.session(write=True) as s:
        points = {} if service_points is None else {"new_service_points": [dict(p) for p in service_points]}
        # the case's transition RETURNING the row: the case as it now is, without reading it again
        labelled = _LABELLED if service_points is None else _LABELLED_WITH_POINTS
        row = s.scalars(labelled, {"case_rma": rma, "at": at, **points}).one_or_none()
        if row is None:  # it had moved on: the label is kept all the same, the case as it is
            row = s.scalar(select(ReturnCaseRow).where(ReturnCaseRow.rma == rma))
            if row is None:
                raise LookupError(rma)
        values = dict(
            return_case_id=row.id, carrier=label.carrier, service=label.service,
            tracking_number=label.tracking_number, tracking_url=label.tracking_url, pdf=label.pdf,
            status=LabelStatus.CREATED, created_at=at, updated_at=at, reference=label.reference,
            qr_code=label.qr_code, note=label.note, void_note="",
        )  # fmt: skip
        made = LabelRow(id=s.execute(_INSERT_LABEL, values).scalar_one(), **values)
        reminders.schedule_many(
            s, [reminders.NewReminder(f"{kind}:{rma}", kind, rma, due_at) for kind, due_at in due], now=at
        )
        # a new label has gone out in no e-mail yet: no session to look for them
        return _view(row, made)


def void_label(db: Database, rma: str, label_id: int, at: datetime, *, note: str = "") -> bool:
    """label created -> voided and its case label_created -> cancelled (its items are free again).
    True when this call voided it; False when somebody else did first, or the parcel has moved on.
    `note`: why the carrier was not asked to cancel it (it cannot: the label simply expires)."""
    with db.session(write=True) as s:
        stmt = (
            update(LabelRow)
            .where(LabelRow.id == label_id, LabelRow.status == LabelStatus.CREATED)
            .values(status=LabelStatus.VOIDED, updated_at=at, void_note=note)
        )
        if _rowcount(s, stmt) != 1:
            return False
        _update_case(s, rma, (ReturnStatus.LABEL_CREATED,), status=ReturnStatus.CANCELLED, updated_at=at)
        return True


def set_slack_status(db: Database, rma: str, status_ts: str) -> None:
    """Where the message showing the case's progress is."""
    with db.session(write=True) as s:
        s.execute(update(ReturnCaseRow).where(ReturnCaseRow.rma == rma).values(slack_status_ts=status_ts))


def set_store_return_id(db: Database, rma: str, store_return_id: str) -> None:
    with db.session(write=True) as s:
        s.execute(update(ReturnCaseRow).where(ReturnCaseRow.rma == rma).values(shopify_return_id=store_return_id))


def begin_booking(db: Database, rma: str, at: datetime) -> str:
    """Record, before the carrier is called, that a booking is going out; what was recorded before: "" (nothing
    was sent), BOOKING_SENT (an earlier booking got no answer: it may exist) or BOOKING_UNKNOWN."""
    with db.session(write=True) as s:
        return begin_booking_in(s, rma, at)


def begin_booking_in(s: Session, rma: str, at: datetime) -> str:
    """`begin_booking` in a transaction of the caller's (the label operation's claim: storage.operations.run_once)."""
    before = s.scalar(select(ReturnCaseRow.booking).where(ReturnCaseRow.rma == rma).with_for_update())
    if before is None:
        raise LookupError(rma)
    s.execute(_BOOKING_SENT, {"case_rma": rma, "at": at})
    return before


def drop_unbooked(db: Database, rma: str, at: datetime) -> bool:
    """requested -> cancelled for a case the carrier refused and that has no booking out: its items are free for
    the corrected form. False when it has moved on (a label, or a booking that may exist)."""
    with db.session(write=True) as s:
        stmt = (
            update(ReturnCaseRow)
            .where(ReturnCaseRow.rma == rma, ReturnCaseRow.status == ReturnStatus.REQUESTED,
                   ReturnCaseRow.booking == "")
            .values(status=ReturnStatus.CANCELLED, updated_at=at)
        )  # fmt: skip
        if _rowcount(s, stmt) != 1:
            return False
        reminders.cancel(s, subject=rma, kinds=[RESUME], now=at)  # nothing left for the scheduler to finish
        return True


def set_booking(db: Database, rma: str, state: str, at: datetime) -> None:
    """"": the carrier answered that nothing was booked; BOOKING_UNKNOWN: an agent must decide (Check / Book again)."""
    with db.session(write=True) as s:
        s.execute(
            update(ReturnCaseRow)
            .where(ReturnCaseRow.rma == rma, ReturnCaseRow.status == ReturnStatus.REQUESTED)
            .values(booking=state, booking_at=at, updated_at=at)
        )


def set_service_points(db: Database, rma: str, points: Sequence[Mapping[str, Any]]) -> None:
    """The nearest drop-off points, as shown to the agent and e-mailed to the customer."""
    with db.session(write=True) as s:
        values = [dict(p) for p in points]
        s.execute(update(ReturnCaseRow).where(ReturnCaseRow.rma == rma).values(service_points=values))


def note_error(db: Database, rma: str, message: str) -> None:
    """Why the last attempt failed, for the Retry button."""
    with db.session(write=True) as s:
        s.execute(update(ReturnCaseRow).where(ReturnCaseRow.rma == rma).values(error=message[:MAX_ERROR]))


# -- helpers ---------------------------------------------------------------------------------------------


# built once, their values passed as parameters: values written into a statement make SQLAlchemy build and compile
# it anew on every call (milliseconds of CPU on the way to the carrier)
_INSERT_CASE = insert(ReturnCaseRow).returning(ReturnCaseRow)  # the whole row: the case as a read gives it
_LABELS = cast(Table, LabelRow.__table__)
_INSERT_LABEL = insert(_LABELS).returning(_LABELS.c.id)  # not the PDF back: it is what was written


def _labelled(*also: str) -> ReturningUpdate[ReturnCaseRow]:
    """requested -> label_created, RETURNING the case as it now is; `also`: columns set too (from `new_<name>`)."""
    return (
        update(ReturnCaseRow)
        .where(ReturnCaseRow.rma == bindparam("case_rma"), ReturnCaseRow.status == ReturnStatus.REQUESTED)
        .values(status=ReturnStatus.LABEL_CREATED, error="", booking="", updated_at=bindparam("at"),
                **{name: bindparam(f"new_{name}") for name in also})
        .returning(ReturnCaseRow)
        .execution_options(synchronize_session=False)
    )  # fmt: skip


_LABELLED, _LABELLED_WITH_POINTS = _labelled(), _labelled("service_points")
_BOOKING_SENT = (
    update(ReturnCaseRow)
    .where(ReturnCaseRow.rma == bindparam("case_rma"))
    .values(booking=BOOKING_SENT, booking_at=bindparam("at"), updated_at=bindparam("at"))
    .execution_options(synchronize_session=False)
)


def _cases(order_id: str) -> Select[ReturnCaseRow]:
    return select(ReturnCaseRow).where(ReturnCaseRow.order_id == order_id)


def _quantities_in_returns(s: Session, order_id: str) -> dict[str, int]:
    stmt = select(ReturnCaseRow.items).where(
        ReturnCaseRow.order_id == order_id, ReturnCaseRow.status != ReturnStatus.CANCELLED
    )
    return _taken(s.scalars(stmt))


def _taken(cases_items: Iterable[Sequence[Mapping[str, Any]]]) -> dict[str, int]:
    """Line item id -> units in these returns' items."""
    taken: dict[str, int] = {}
    for items in cases_items:
        for item in items:
            taken[item["line_item_id"]] = taken.get(item["line_item_id"], 0) + int(item["quantity"])
    return taken


def _case_view(s: Session, rma: str, *, label_id: int | None = None) -> CaseView | None:
    row = s.scalar(select(ReturnCaseRow).where(ReturnCaseRow.rma == rma))
    if row is None:
        return None
    stmt = select(LabelRow).where(LabelRow.return_case_id == row.id)
    if label_id is None:
        stmt = stmt.where(LabelRow.status != LabelStatus.VOIDED).order_by(LabelRow.id.desc())
    else:
        stmt = stmt.where(LabelRow.id == label_id)
    label = s.scalars(stmt.limit(1)).first()
    return _view(row, label, s)


def _rmas(s: Session, order_id: str) -> list[str]:
    stmt = select(ReturnCaseRow.rma).where(ReturnCaseRow.order_id == order_id).order_by(ReturnCaseRow.id)
    return list(s.scalars(stmt))


def _same_items(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> bool:
    def key(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
        return sorted((str(i["line_item_id"]), int(i["quantity"])) for i in items)

    return key(a) == key(b)


def _update_case(s: Session, rma: str, expected: Sequence[ReturnStatus], **values: Any) -> bool:
    """The one conditional UPDATE of a case's transition; True when this call changed the row."""
    stmt = update(ReturnCaseRow).where(ReturnCaseRow.rma == rma, ReturnCaseRow.status.in_(expected)).values(**values)
    return _rowcount(s, stmt) == 1


def _rowcount(s: Session, stmt: Any) -> int:
    # an UPDATE runs on a cursor: its result has a rowcount, which Session.execute's return type does not say
    return cast("CursorResult[Any]", s.execute(stmt)).rowcount


def _sent(s: Session, kind: str, key: str) -> tuple[SentEmail, ...]:
    """The succeeded operations of `kind` whose key is `key` or starts with `key:`, oldest first."""
    stmt = (
        select(OperationRow.result, OperationRow.updated_at)
        .where(
            OperationRow.kind == kind,
            OperationRow.status == "succeeded",
            # RMAs are letters, digits and dashes: no LIKE wildcard can hide in the key
            or_(OperationRow.key == key, OperationRow.key.like(f"{key}:%")),
        )
        .order_by(OperationRow.updated_at, OperationRow.id)
    )
    return tuple(SentEmail(str((result or {}).get("to", "")), at) for result, at in s.execute(stmt))


def _address_dict(address: Address) -> dict[str, str]:
    return {name: str(getattr(address, name)) for name in _ADDRESS_FIELDS}


def _address(data: Mapping[str, Any]) -> Address:
    return Address(**{k: str(v) for k, v in data.items() if k in _ADDRESS_FIELDS})


def _view(row: ReturnCaseRow, label: LabelRow | None, s: Session | None = None) -> CaseView:
    """The case; with its label's e-mails when a session to read them is given."""
    info = None
    if label is not None:
        emails = _sent(s, EMAIL_KIND, label_email_key(row.rma, label.id)) if s is not None else ()
        notices = _sent(s, VOID_EMAIL_KIND, void_notice_key(row.rma, label.id)) if s is not None else ()
        info = LabelView(
            id=label.id, carrier=label.carrier, service=label.service, tracking_number=label.tracking_number or "",
            tracking_url=label.tracking_url, status=LabelStatus(label.status), pdf=label.pdf or b"",
            emails=emails, void_notices=notices, reference=label.reference, qr_code=label.qr_code, note=label.note,
            void_note=label.void_note,
        )  # fmt: skip
    return CaseView(
        rma=row.rma, order_id=row.order_id, order_name=row.order_name, status=ReturnStatus(row.status),
        delivery=Delivery(row.delivery), pickup_date=row.pickup_date, items=list(row.items),
        customer_email=row.customer_email, email_customer=row.email_customer, requested_by=row.requested_by,
        created_at=row.created_at, slack_channel=row.slack_channel, slack_thread_ts=row.slack_thread_ts,
        error=row.error, label=info, sender=_address(row.sender), weight_grams=row.weight_grams,
        pickup_phone=row.pickup_phone, language=row.language, slack_status_ts=row.slack_status_ts,
        store_return_id=row.shopify_return_id, resolution=row.resolution, received_at=row.received_at,
        received_by=row.received_by, received_source=row.received_source, receipt=list(row.receipt or []),
        receipt_note=row.receipt_note, snoozed_until=row.snoozed_until, slack_reminder_ts=row.slack_reminder_ts,
        finished_at=row.finished_at, carrier=row.carrier, service_point_id=row.service_point_id,
        service_points=list(row.service_points or []), booking=row.booking, booking_at=row.booking_at,
        exchange=list(row.exchange or []), exchange_request_id=row.exchange_request_id,
    )  # fmt: skip
