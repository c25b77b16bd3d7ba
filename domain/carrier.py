"""What the workflows ask of a carrier, and what they get back.

A carrier turns a return (the customer's address as sender, the shop's return address as receiver, a
parcel, drop-off or pickup) into a tracking number and a label PDF. Carrier adapters (local, Shipit,
PostNord) only see these plain values, never Slack or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

from domain.orders import Address
from domain.vocabulary import Delivery


class CarrierError(Exception):
    """A carrier could not do what was asked.

    The message is shown to a support agent as it is, so it says what went wrong and what to do in plain
    words, without stack traces, API field names or secrets. `retryable` tells the workflow whether the
    same request may succeed later (carrier down, timeout) or needs a change first (bad address).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class Parcel:
    weight_grams: int
    length_cm: int | None = None
    width_cm: int | None = None
    height_cm: int | None = None

    def __post_init__(self) -> None:
        if self.weight_grams <= 0:
            raise ValueError(f"parcel weight must be positive, not {self.weight_grams} g")
        for side in (self.length_cm, self.width_cm, self.height_cm):
            if side is not None and side <= 0:
                raise ValueError(f"parcel dimensions must be positive, not {side} cm")

    @property
    def dimensions_cm(self) -> tuple[int, int, int] | None:
        """All three sides, or None: a carrier needs either the full box or nothing."""
        if self.length_cm is None or self.width_cm is None or self.height_cm is None:
            return None
        return (self.length_cm, self.width_cm, self.height_cm)


@dataclass(frozen=True, slots=True)
class ReturnItem:
    name: str
    sku: str
    quantity: int
    # A Shopify ReturnReason code ("size_too_small", "defective", …; translated on the slip) or free text.
    reason: str = ""

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"quantity of {self.name!r} must be positive, not {self.quantity}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnShipmentRequest:
    """One return parcel, addresses already reversed: the customer sends, the shop receives."""

    rma: str
    order_name: str
    sender: Address  # the customer
    receiver: Address  # the shop's return address
    parcel: Parcel
    delivery: Delivery
    items: Sequence[ReturnItem]
    created: date
    pickup_date: date | None = None
    pickup_phone: str = ""
    language: str = "en"  # the customer's; texts fall back to en for any other

    def __post_init__(self) -> None:
        if self.delivery not in tuple(Delivery):
            raise ValueError(f"delivery must be one of {tuple(Delivery)}, not {self.delivery!r}")
        if self.delivery == Delivery.PICKUP and self.pickup_date is None:
            raise ValueError("a pickup needs a pickup_date")


@dataclass(frozen=True, slots=True)
class Label:
    carrier: str  # Carrier.name
    service: str  # the carrier's product, as printed and shown to agents
    tracking_number: str
    tracking_url: str
    pdf: bytes = field(repr=False)


@runtime_checkable  # lets wiring code and tests assert an adapter is a Carrier (method names only)
class Carrier(Protocol):
    @property
    def name(self) -> str:
        """Short id stored with each label ("local", "shipit", "postnord")."""
        ...

    def create_return_shipment(self, request: ReturnShipmentRequest) -> Label:
        """Book the return and return its label. Raises CarrierError."""
        ...

    def void(self, tracking_number: str) -> None:
        """Cancel an unused label. Raises CarrierError when the carrier refuses."""
        ...

    def tracking_status(self, tracking_number: str) -> str:
        """One of LabelStatus's values (UNKNOWN: no news). Raises CarrierError."""
        ...
