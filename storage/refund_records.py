"""What a refund request is: the draft an agent asks for, the request as it is read back, and the results of its
transitions (storage.refunds makes them). Amounts are Decimals kept exactly on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.refunds import RefundStatus, RequestKind, RestockType
from storage.models import RefundRequestRow

STORES = ("local", "shopify")

AUTO = "auto"  # decided_by of an auto-approved request; never a person, so nobody may act as "auto"
SYSTEM = "system"

MAX_FAILURE = 2000
INTERRUPTED = (
    "The bot stopped while this refund was being made, so it may or may not have happened. "
    "Retry is safe: it sends the same refund with the same key, which never refunds twice."
)
# Amount is NUMERIC(18, 4) on PostgreSQL: anything finer or larger would be silently changed there
MAX_DECIMALS = 4
MAX_AMOUNT = Decimal("1e14")
CENT = Decimal("0.01")


class RefundRequestNotFound(LookupError):
    pass


class Outcome(StrEnum):
    APPLIED = "applied"  # this call made the change
    WRONG_STATE = "wrong_state"  # the request had already moved on (double click, lost race, stale attempt)
    SELF_APPROVAL = "self_approval"  # the requester tried to approve or reject their own request


class Creation(StrEnum):
    CREATED = "created"  # recorded now
    REPEATED = "repeated"  # this submission was recorded before: the request is that one
    BLOCKED = "blocked"  # another request of the order is open: the request is that one; nothing was recorded


@dataclass(frozen=True)
class RefundLine:
    line_item_id: str
    name: str
    quantity: int
    restock: RestockType = RestockType.NO_RESTOCK  # RETURN for shipped units, CANCEL for the others

    def __post_init__(self) -> None:
        object.__setattr__(self, "restock", _restock_type(self.restock))


@dataclass(frozen=True)
class PlannedPayment:
    """One payment the money goes back to, as planned when the request was made."""

    gateway: str
    amount: Decimal
    parent_id: str = ""  # the store's id of the sale or capture being refunded


@dataclass(frozen=True)
class RefundDraft:
    """What the requester asked for. Frozen at creation: the approver approves exactly this."""

    store: str
    order_id: str
    order_name: str
    lines: tuple[RefundLine, ...]  # none, with no shipping either: an amount refunded alone (goodwill, a price fix)
    shipping: Decimal
    restock: RestockType
    amount: Decimal
    currency: str
    reason: str
    note: str = ""
    notify_customer: bool = True
    # how the amount goes back; frozen so that every attempt sends the store the same parameters
    transactions: tuple[PlannedPayment, ...] = ()
    # another kind of request through the same approvals: `amount` is then what counts against its own limit (a
    # replacement's list value), `lines` the order's items it concerns, `details` what its executor needs (JSON)
    kind: RequestKind = RequestKind.REFUND
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.store not in STORES:
            raise ValueError(f"store must be one of {STORES}, got {self.store!r}")
        if not self.order_id or not self.order_name:
            raise ValueError("a refund needs the order's id and name")
        object.__setattr__(self, "kind", RequestKind(self.kind))
        object.__setattr__(self, "restock", _restock_type(self.restock))
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be an ISO 4217 code like 'EUR', got {self.currency!r}")
        if not self.reason.strip():
            raise ValueError("a refund needs a reason")
        # a refund moves money; another kind may be worth nothing (a cancellation of an unpaid order)
        _checkmoney_text("amount", self.amount, positive=self.kind is RequestKind.REFUND)
        _checkmoney_text("shipping", self.shipping, positive=False)
        if self.shipping > self.amount:
            raise ValueError("shipping is part of the amount, so it cannot exceed it")
        for line in self.lines:
            if not line.line_item_id or type(line.quantity) is not int or line.quantity < 1:
                raise ValueError(f"a refund line needs a line item and a positive quantity: {line!r}")
        for payment in self.transactions:
            _checkmoney_text("a payment's amount", payment.amount, positive=True)
        if self.transactions and sum(p.amount for p in self.transactions) != self.amount:
            raise ValueError("the planned payments must add up to the amount")


@dataclass(frozen=True)
class RefundRequestView:
    id: int
    store: str
    order_id: str
    order_name: str
    lines: tuple[RefundLine, ...]
    shipping: Decimal
    restock: RestockType
    amount: Decimal
    currency: str
    reason: str
    note: str
    notify_customer: bool
    transactions: tuple[PlannedPayment, ...]
    requested_by: str
    status: RefundStatus
    decided_by: str | None
    decided_at: datetime | None
    reject_reason: str
    idempotency_key: str
    store_refund_id: str
    failure: str
    attempts: int
    slack_channel: str
    slack_thread_ts: str
    slack_approval_channel: str
    slack_approval_ts: str
    created_at: datetime
    updated_at: datetime
    kind: RequestKind = RequestKind.REFUND
    details: Mapping[str, Any] = field(default_factory=dict)  # frozen with the request (RefundDraft.details)
    result: Mapping[str, Any] = field(default_factory=dict)  # what its execution made, as the executor said

    @property
    def auto_approved(self) -> bool:
        return self.decided_by == AUTO

    @property
    def amount_alone(self) -> bool:
        """No items and no shipping: an amount refunded against the payment."""
        return not self.lines and self.shipping == 0


@dataclass(frozen=True)
class Transition:
    """The result of one transition. `request` is the row after this call, whoever won."""

    won: bool
    request: RefundRequestView
    outcome: Outcome

    def __post_init__(self) -> None:
        if self.won != (self.outcome is Outcome.APPLIED):
            raise ValueError(f"won={self.won} contradicts outcome {self.outcome}")


@dataclass(frozen=True)
class Created:
    """The result of `create_once`: the request recorded now, the one recorded before for this submission, or
    (BLOCKED) the open request of the order that kept this one from being recorded."""

    request: RefundRequestView
    outcome: Creation

    @property
    def created(self) -> bool:
        return self.outcome is Creation.CREATED


@dataclass(frozen=True)
class ExecutionStart(Transition):
    """A won start hands out the key to send to the store and the attempt number `finish` must quote."""

    idempotency_key: str | None = None  # None when lost: do not call the store
    attempt: int | None = None


def _canonical(value: Decimal) -> Decimal:
    """One form on both databases: PostgreSQL returns NUMERIC normalized (43.8, 1E+1), SQLite as written (43.80).
    At least cents, and no trailing zeros beyond them."""
    cents = value.quantize(CENT)
    return cents if cents == value else value.normalize()


def money_text(value: Decimal) -> str:
    return format(_canonical(value), "f")  # fixed-point: never "1E+1" in the audit trail


def view_of(row: RefundRequestRow) -> RefundRequestView:
    return RefundRequestView(
        id=row.id, store=row.store, order_id=row.order_id, order_name=row.order_name,
        lines=tuple(
            RefundLine(str(li["line_item_id"]), li["name"], int(li["quantity"]), _restock_type(li.get("restock")))
            for li in row.lines
        ),
        transactions=tuple(
            PlannedPayment(p["gateway"], Decimal(p["amount"]), p.get("parent_id", "")) for p in row.transactions or ()
        ),
        shipping=_canonical(row.shipping), restock=_restock_type(row.restock), amount=_canonical(row.amount),
        currency=row.currency, reason=row.reason, note=row.note, notify_customer=row.notify_customer,
        requested_by=row.requested_by, status=RefundStatus(row.status), decided_by=row.decided_by,
        decided_at=row.decided_at, reject_reason=row.reject_reason,
        idempotency_key=row.idempotency_key, store_refund_id=row.store_refund_id, failure=row.failure,
        attempts=row.attempts, slack_channel=row.slack_channel, slack_thread_ts=row.slack_thread_ts,
        slack_approval_channel=row.slack_approval_channel, slack_approval_ts=row.slack_approval_ts,
        created_at=row.created_at, updated_at=row.updated_at,
        kind=RequestKind(row.kind or RequestKind.REFUND), details=dict(row.details or {}),
        result=dict(row.result or {}),
    )  # fmt: skip


def _restock_type(value: object) -> RestockType:
    """A restock type as stored (rows from before the restock column hold none: NO_RESTOCK)."""
    if value is None or value == "":
        return RestockType.NO_RESTOCK
    try:
        return RestockType(str(value))
    except ValueError:
        raise ValueError(f"restock must be one of {[t.value for t in RestockType]}, got {value!r}") from None


def _checkmoney_text(what: str, value: Decimal, *, positive: bool) -> None:
    if not isinstance(value, Decimal):  # a float has already lost the cents
        raise TypeError(f"{what} is a Decimal, got {type(value).__name__}")
    if not value.is_finite() or value < 0 or (positive and value == 0) or value >= MAX_AMOUNT:
        raise ValueError(f"{what} out of range: {value}")
    if value != value.quantize(Decimal(1).scaleb(-MAX_DECIMALS)):
        raise ValueError(f"{what} has more than {MAX_DECIMALS} decimals: {value}")
