"""Cancelling an order: why, where the money goes, and what a store answers (Shopify's orderCancel, in words)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from domain.money import Money

STAFF_NOTE_MAX = 255  # Shopify's limit on orderCancel's staffNote


class CancelReason(enum.StrEnum):
    """Shopify's OrderCancelReason; the values are Shopify's own, so they go to the store unchanged."""

    CUSTOMER = "CUSTOMER"
    FRAUD = "FRAUD"
    INVENTORY = "INVENTORY"
    DECLINED = "DECLINED"
    STAFF = "STAFF"
    OTHER = "OTHER"

    @property
    def words(self) -> str:
        return _REASON_WORDS[self]


_REASON_WORDS = {
    CancelReason.CUSTOMER: "Customer changed their mind",
    CancelReason.FRAUD: "Fraud",
    CancelReason.INVENTORY: "Out of stock",
    CancelReason.DECLINED: "Payment declined",
    CancelReason.STAFF: "Staff error",
    CancelReason.OTHER: "Other",
}


class CancelRefund(enum.StrEnum):
    """Where the money still held goes when the order is cancelled."""

    ORIGINAL = "original"  # back to the payments it came from
    STORE_CREDIT = "store_credit"  # as store credit (Shopify only)
    NONE = "none"  # kept: nothing is refunded

    @property
    def words(self) -> str:
        return _REFUND_WORDS[self]


_REFUND_WORDS = {
    CancelRefund.ORIGINAL: "Refund to the original payment method",
    CancelRefund.STORE_CREDIT: "Refund as store credit",
    CancelRefund.NONE: "No refund",
}


class RiskLevel(enum.StrEnum):
    """Shopify's RiskAssessmentResult: how likely the order is fraudulent (the highest assessment counts)."""

    NONE = "NONE"  # no assessment, or one that recommends nothing
    PENDING = "PENDING"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"

    @classmethod
    def highest(cls, levels: list[str]) -> RiskLevel:
        known = [cls(level) for level in levels if level in cls.__members__]
        return max(known, key=_RANK.__getitem__, default=cls.NONE)


_RANK = {RiskLevel.NONE: 0, RiskLevel.PENDING: 1, RiskLevel.LOW: 2, RiskLevel.MEDIUM: 3, RiskLevel.HIGH: 4}


@dataclass(frozen=True, slots=True)
class CancelPlan:
    """What is sent to the store: fixed when the agent submits, the same on every retry."""

    order_id: str
    reason: CancelReason
    refund: CancelRefund
    restock: bool
    notify_customer: bool
    staff_note: str = ""


@dataclass(frozen=True, slots=True)
class CancelProgress:
    """Where a cancellation stands in the store: `done` with what was refunded, or still running as `job_id`."""

    done: bool
    job_id: str = ""  # the store's job (Shopify's Job id); "" when it finished at once
    cancelled_at: datetime | None = None
    refunded: Money | None = None  # the order's refunded total once cancelled (None: not done yet)
    refunded_before: Money | None = None  # ... as the store was asked (None: it was cancelled already then)
