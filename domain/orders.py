"""Orders as every layer sees them: what a store builds and workflows and views only read."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from domain.cancellations import RiskLevel
from domain.money import Money


class FinancialStatus(enum.StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    EXPIRED = "expired"  # an authorization that lapsed before capture
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: str | None) -> FinancialStatus:
        try:
            return cls((text or "").strip().lower().replace(" ", "_"))
        except ValueError:
            return cls.UNKNOWN

    @property
    def captured(self) -> bool:
        """Whether money has been taken at all: nothing can be refunded before it is."""
        return self not in _NOT_CAPTURED


# The one rule for "the payment is not captured yet", whichever store the status comes from.
_NOT_CAPTURED = frozenset({FinancialStatus.PENDING, FinancialStatus.AUTHORIZED, FinancialStatus.VOIDED,
                           FinancialStatus.EXPIRED})  # fmt: skip


def payment_captured(status: str) -> bool:
    """The same rule for a store's own spelling of the status (`AUTHORIZED`, `authorized`, `Partially paid`)."""
    return FinancialStatus.parse(status).captured


class FulfillmentStatus(enum.StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIAL = "partial"
    FULFILLED = "fulfilled"
    RESTOCKED = "restocked"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: str | None) -> FulfillmentStatus:
        value = (text or "").strip().lower()
        if value in ("", "pending"):
            return cls.UNFULFILLED
        if value in ("partially_fulfilled", "partially fulfilled"):
            return cls.PARTIAL
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class Address:
    name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    zip: str = ""
    province: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, as Shopify exports it
    phone: str = ""

    def is_empty(self) -> bool:
        return not any((self.name, self.address1, self.city, self.zip, self.country))

    def lines(self) -> list[str]:
        city_line = " ".join(p for p in (self.zip, self.city) if p)
        parts = [self.name, self.company, self.address1, self.address2, city_line, self.province, self.country]
        return [p for p in parts if p]


@dataclass(frozen=True, slots=True)
class LineItem:
    id: str
    name: str
    sku: str
    quantity: int
    unit_price: Money
    requires_shipping: bool = True
    fulfillment_status: FulfillmentStatus = FulfillmentStatus.UNFULFILLED

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Fulfillment:
    id: str
    tracking_number: str
    tracking_company: str = ""
    tracking_url: str = ""
    created_at: datetime | None = None
    line_item_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Transaction:
    kind: str  # "sale", "refund", "capture", "authorization"
    amount: Money
    gateway: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderRef:
    """How workflows and buttons point at an order: the store's own id plus the name people use."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """One row of a pick list."""

    ref: OrderRef
    customer_name: str
    email: str
    created_at: datetime
    total: Money
    financial_status: FinancialStatus
    fulfillment_status: FulfillmentStatus
    cancelled: bool = False
    # the shipping name when a name search matched it and not the customer's (a gift's recipient): "ship-to: …"
    ship_to: str = ""


@dataclass(frozen=True, slots=True)
class Order:
    ref: OrderRef
    created_at: datetime
    customer_name: str
    email: str
    phone: str
    currency: str
    subtotal: Money
    shipping: Money
    taxes: Money
    discounts: Money
    total: Money
    refunded: Money
    financial_status: FinancialStatus
    fulfillment_status: FulfillmentStatus
    shipping_address: Address
    billing_address: Address
    line_items: tuple[LineItem, ...]
    fulfillments: tuple[Fulfillment, ...] = ()
    transactions: tuple[Transaction, ...] = ()
    cancelled_at: datetime | None = None
    shipping_method: str = ""
    payment_method: str = ""
    tags: tuple[str, ...] = ()
    note: str = ""
    # what the checkout asked besides the note (a gift message, a delivery date), in the shop's own order
    note_attributes: tuple[tuple[str, str], ...] = ()
    locale: str = ""
    # the store's fraud risk assessment (Shopify's order.risk; None where the store makes none)
    risk_level: RiskLevel | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None

    def summary(self) -> OrderSummary:
        return OrderSummary(
            ref=self.ref,
            customer_name=self.customer_name,
            email=self.email,
            created_at=self.created_at,
            total=self.total,
            financial_status=self.financial_status,
            fulfillment_status=self.fulfillment_status,
            cancelled=self.cancelled,
        )


class SearchKind(enum.StrEnum):
    NUMBER = "number"
    EMAIL = "email"
    NAME = "name"
    TRACKING = "tracking"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """What an agent searched for, already classified and cleaned (see commands.lookup.parse_query)."""

    kind: SearchKind
    value: str  # NUMBER: digits; EMAIL: lower case; NAME: folded words; TRACKING: upper case, no spaces; PHONE: E.164
