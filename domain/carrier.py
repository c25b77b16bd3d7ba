"""What the workflows ask of a carrier, and what they get back.

A carrier turns a return (the customer's address as sender, the shop's return address as receiver, a
parcel, drop-off or pickup) into a tracking number and a label PDF. Carrier adapters (local, Shipit,
PostNord) only see these plain values, never Slack or the database.

Booking a paid carrier must happen once: the request carries our RMA as the shipment's reference, and a
carrier that can search by it (`finds_by_reference`) answers `find_shipment(rma)` before a retry. A carrier
that cannot is asked again only after a person says so (the workflow records "booking unknown").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    `fields` maps return-form fields ("address", "pickup_date", "pickup_phone", "weight") to what the carrier
    said about them, in plain words: the form shows them as field errors. `maybe_booked` says the request may
    have been carried out although no answer came (a time-out or a connection lost after sending): the
    workflow must not book again before it knows.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        fields: Mapping[str, str] | None = None,
        maybe_booked: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.fields: dict[str, str] = dict(fields or {})
        self.maybe_booked = maybe_booked


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
    pickup_date: date | None = None  # the day the carrier collects (PICKUP only)
    pickup_phone: str = ""
    language: str = "en"  # the customer's; texts fall back to en for any other
    customer_email: str = ""  # for the carrier's own notices to the sender; "" when the order has none
    service_point_id: str = ""  # the drop-off point the agent chose (ServicePoint.id); "" lets the carrier choose

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
    pdf: bytes = field(repr=False)  # the carrier's own document, unchanged
    reference: str = ""  # the carrier's id of the shipment (Shipit's shipitNumber, PostNord's shipmentId)
    qr_code: str = ""  # data of a QR code for label-less drop-off ("" when the carrier gives none)
    # what did not work beside the label, in an agent's words ("The pickup was not booked: …"); shown in the thread
    problem: str = ""


@dataclass(frozen=True, slots=True)
class ServicePoint:
    """A place where the customer can drop the parcel off."""

    id: str  # the carrier's id, passed back as ReturnShipmentRequest.service_point_id
    name: str
    address1: str
    zip: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    distance_m: int | None = None  # from the customer's address, when the carrier says
    opening_hours: str = ""  # as the carrier writes them, one line ("" when unknown)

    def one_line(self) -> str:
        """`Name, street, zip city (850 m)`: how agents and customers read it."""
        place = ", ".join(p for p in (self.name, self.address1, f"{self.zip} {self.city}".strip()) if p)
        if self.distance_m is None:
            return place
        away = f"{self.distance_m} m" if self.distance_m < 1000 else f"{self.distance_m / 1000:.1f} km"
        return f"{place} ({away})"


@runtime_checkable  # lets wiring code and tests assert an adapter is a Carrier (method names only)
class Carrier(Protocol):
    @property
    def name(self) -> str:
        """Short id stored with each label ("local", "shipit", "postnord")."""
        ...

    @property
    def title(self) -> str:
        """The carrier's name as agents and customers read it ("Shipit", "PostNord")."""
        ...

    @property
    def can_void(self) -> bool:
        """Whether `void` cancels a label at the carrier. False: an unused label simply expires."""
        ...

    @property
    def finds_by_reference(self) -> bool:
        """Whether `find_shipment` can look a booking up by our RMA (the request's reference)."""
        ...

    @property
    def deliveries(self) -> Sequence[Delivery]:
        """The services this carrier is set up for (drop-off, pickup), in the order the form offers them."""
        ...

    def suggested_delivery(self, parcel: Parcel) -> Delivery:
        """What the form proposes for this parcel (PostNord: pickup from POSTNORD_PICKUP_MIN_KG on)."""
        ...

    def create_return_shipment(self, request: ReturnShipmentRequest) -> Label:
        """Book the return (a PICKUP also books the collection) and return its label. Raises CarrierError."""
        ...

    def find_shipment(self, reference: str) -> Label | None:
        """The label of a booking made with `reference` (our RMA), or None when there is none.
        Only called when `finds_by_reference`; others raise CarrierError. Raises CarrierError."""
        ...

    def service_points(self, address: Address, limit: int = 3) -> list[ServicePoint]:
        """The nearest drop-off points to `address`, nearest first; [] when the carrier has none to offer.
        Raises CarrierError."""
        ...

    def void(self, tracking_number: str) -> None:
        """Cancel an unused label. Raises CarrierError when the carrier refuses or `can_void` is False."""
        ...

    def tracking_status(self, tracking_number: str) -> str:
        """One of LabelStatus's values (UNKNOWN: no news). Raises CarrierError."""
        ...

    def check(self) -> list[str]:
        """What `returnbot doctor` reports: problems with this carrier's set-up, each naming the setting to fix
        ("SHIPIT_API_KEY is refused by Shipit: …"); [] when it works (the key is accepted, the service ids
        exist). Never raises; never contains a secret."""
        ...
