"""Replacements: a free order sent in place of items that arrived broken, lost or wrong, and what the store needs to
make one (a variant picked, the plan sent once, the order it made)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.money import Money
from domain.orders import Address

REPLACEMENT_TAG = "replacement"  # on every replacement order: sales reports leave these out
FOR_PREFIX = "replacement-for-"  # + the original's number: "replacement-for-1001"
KEY_PREFIX = "replacement-key-"  # + the request's key: found again after a timeout, never made twice
REASON_PREFIX = "replacement-reason-"  # + the reason: reports count replacements by it
REPLACED_BY_PREFIX = "replaced-by-"  # on the original: + the replacement's number
DISCOUNT_TITLE = "Replacement"
EXCHANGE_TAG = "exchange"  # on a replacement that is a return's exchange (the new variant for what came back)
EXCHANGE_FOR_PREFIX = "exchange-for-"  # + the return's RMA, lower case: "exchange-for-r1001-1"


class ReplacementReason(enum.StrEnum):
    DAMAGED = "damaged"
    LOST = "lost_in_transit"
    WRONG_ITEM = "wrong_item"
    DEFECTIVE = "defective"
    MISSING_PART = "missing_part"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ReplacementReason.DAMAGED: "Damaged",
    ReplacementReason.LOST: "Lost in transit",
    ReplacementReason.WRONG_ITEM: "Wrong item",
    ReplacementReason.DEFECTIVE: "Defective",
    ReplacementReason.MISSING_PART: "Missing part",
    ReplacementReason.OTHER: "Other",
}


@dataclass(frozen=True, slots=True)
class Variant:
    """Something the shop sells, as a replacement line may name it."""

    id: str  # the store's variant id (Shopify's gid; the local store's own id of an item seen in its orders)
    title: str  # "T-shirt — Blue / M"
    sku: str
    price: Money  # list price
    available: int | None = None  # units in stock (None: not tracked)


@dataclass(frozen=True, slots=True)
class ReplacementLine:
    line_item_id: str  # the original order's line this replaces
    title: str
    quantity: int
    unit_price: Money  # list price of what is sent: the replacement's worth, for the approval limit and reports
    variant_id: str = ""  # what is sent; "" sends the original line's own item
    sku: str = ""


@dataclass(frozen=True, slots=True)
class ReplacementPlan:
    """Everything the store is sent, fixed when the request is made and resent unchanged on every attempt."""

    original_id: str
    original_name: str  # "#1001"
    key: str  # the request's idempotency key: carried as a tag, so the order is found again and never made twice
    lines: tuple[ReplacementLine, ...]
    reason: ReplacementReason
    address: Address
    currency: str
    shipping_title: str = "Replacement shipping"
    note: str = ""
    email: str = ""
    notify_customer: bool = False
    created_on: str = ""  # the day it is sent, as the original's note says it ("2026-11-29")
    exchange_for: str = ""  # the RMA of the return this exchanges ("" for a plain replacement)

    @property
    def number(self) -> str:
        return self.original_name.lstrip("#")

    @property
    def tags(self) -> tuple[str, ...]:
        tags: tuple[str, ...] = (
            REPLACEMENT_TAG, FOR_PREFIX + self.number, KEY_PREFIX + self.key, REASON_PREFIX + self.reason.value,
        )  # fmt: skip
        if self.exchange_for:  # the order names its return: found from the return, and the return from it
            tags += (EXCHANGE_TAG, EXCHANGE_FOR_PREFIX + self.exchange_for.lower())
        return tags

    @property
    def list_value(self) -> Money:
        total = Money.zero(self.currency)
        for line in self.lines:
            total = total + line.unit_price * line.quantity
        return total

    def original_note(self, replacement_name: str) -> str:
        """The line appended to the original's note: what was wrong and what was sent when."""
        items = ", ".join(f"{line.quantity} × {line.title}" for line in self.lines)
        why = f"exchange for return {self.exchange_for}" if self.exchange_for else self.reason.label.lower()
        return f"Replacement {replacement_name} sent {self.created_on} ({why}): {items}"


@dataclass(frozen=True, slots=True)
class ReplacementOrder:
    id: str  # the store's order id
    name: str  # "#1030"


def replacement_of(tags: tuple[str, ...]) -> str:
    """The original's number of a replacement order ("1001"), from its tags; "" for any other order."""
    if REPLACEMENT_TAG not in tags:
        return ""
    return next((t[len(FOR_PREFIX) :] for t in tags if t.startswith(FOR_PREFIX)), "")


def replaced_by(tags: tuple[str, ...]) -> tuple[str, ...]:
    """The numbers of an original's replacements, from its tags."""
    return tuple(t[len(REPLACED_BY_PREFIX) :] for t in tags if t.startswith(REPLACED_BY_PREFIX))
