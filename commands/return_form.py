"""What a return starts from: the order's reversed shipment (the draft), the form an agent fills in, its checks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from commands import carriers
from commands.errors import UserError
from commands.lookup import get_order
from commands.services import ReturnSettings, Services
from domain.carrier import Parcel
from domain.orders import Address, FulfillmentStatus, Order
from domain.vocabulary import Delivery, language_for
from storage import returns as stored

DEFAULT_WEIGHT_GRAMS = 1000  # the export carries no item weights: a typical apparel parcel
MAX_WEIGHT_GRAMS = 30_000  # heavier is not a parcel any carrier here takes
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
    carrier: str = ""  # the carrier the customer's country gets (CARRIER_BY_COUNTRY, else CARRIER)

    def item(self, line_item_id: str) -> Returnable | None:
        return next((i for i in self.items if i.line_item_id == line_item_id), None)


@dataclass(frozen=True)
class ReturnForm:
    quantities: dict[str, int]  # line item id -> how many come back
    reasons: dict[str, str]  # line item id -> a REASONS key
    sender: Address
    weight_grams: int
    delivery: Delivery
    email_customer: bool
    pickup_date: date | None = None
    pickup_phone: str = ""
    carrier: str = ""  # a carrier's name; "" = the bot's default
    service_point_id: str = ""  # the drop-off point chosen in the form; "" = the carrier chooses
    # line item id -> the variant sent in exchange once the item is back (commands.exchanges); none: a refund
    exchanges: dict[str, str] = field(default_factory=dict)
    exchange_titles: dict[str, str] = field(default_factory=dict)  # the picker's words for each, to show it again


def settings(services: Services) -> ReturnSettings:
    if services.returns is None:
        raise UserError("Returns are not set up on this bot (no return address).")
    return services.returns


def draft_return(services: Services, order_id: str) -> ReturnDraft:
    """The reversed shipment of an order; a UserError says why nothing can be returned."""
    return draft_for(services, get_order(services, order_id))


def draft_for(services: Services, order: Order) -> ReturnDraft:
    """The same for an order already read from the store (no second read)."""
    if order.cancelled:
        raise UserError(f"Order {order.name} was cancelled: there is nothing to return.")
    shipped = [li for li in order.line_items if li.fulfillment_status == FulfillmentStatus.FULFILLED]
    if not shipped:
        # no cancel feature yet: say what can be done now rather than point at one that does not exist
        raise UserError(
            f"Nothing in order {order.name} has shipped yet, so there is nothing to return yet. "
            "Once it has shipped, a return can be made; to give the customer money back before that, "
            "ask for a refund."
        )
    taken = stored.quantities_in_returns(services.db, order.ref.id)
    items = tuple(
        Returnable(li.id, li.name, li.sku, li.quantity - taken.get(li.id, 0), li.quantity)
        for li in shipped
        if li.quantity - taken.get(li.id, 0) > 0
    )
    if not items:
        rmas = ", ".join(stored.rmas(services.db, order.ref.id))
        raise UserError(f"Everything shipped in order {order.name} is already in a return ({rmas}).")
    language = language_for(order.locale, order.shipping_address.country)
    # no carrier set up: the draft still shows, and booking says what is missing
    known = carriers.all_carriers(services)
    carrier = carriers.for_country(services, order.shipping_address.country).name if known else ""
    return ReturnDraft(order, items, order.shipping_address, settings(services).address, language, carrier)


def can_return(services: Services, order: Order) -> bool:
    """Whether the order card offers "Create return": something shipped that is not in a return yet."""
    if order.cancelled or not _shipped(order):
        return False
    return returnable(order, stored.quantities_in_returns(services.db, order.ref.id))


def returnable(order: Order, taken: Mapping[str, int]) -> bool:
    """Something of `order` shipped and not yet in a return, given the quantities `taken` by returns, by line."""
    if order.cancelled:
        return False
    return any(quantity > taken.get(item_id, 0) for item_id, quantity in _shipped(order).items())


def _shipped(order: Order) -> dict[str, int]:
    return {li.id: li.quantity for li in order.line_items if li.fulfillment_status == FulfillmentStatus.FULFILLED}


def default_form(draft: ReturnDraft, services: Services | None = None) -> ReturnForm:
    """What the form starts with; with `services`, the delivery the draft's carrier suggests for the parcel."""
    delivery = Delivery.DROP_OFF
    if services is not None and draft.carrier:
        delivery = carriers.named(services, draft.carrier).suggested_delivery(Parcel(DEFAULT_WEIGHT_GRAMS))
    return ReturnForm(
        quantities={i.line_item_id: i.quantity for i in draft.items},
        reasons={i.line_item_id: DEFAULT_REASON for i in draft.items},
        sender=draft.sender,
        weight_grams=DEFAULT_WEIGHT_GRAMS,
        delivery=delivery,
        email_customer=bool(draft.order.email),
        carrier=draft.carrier,
    )


def carrier_errors(services: Services, form: ReturnForm) -> dict[str, str]:
    """The chosen carrier is set up and offers the chosen delivery (by field: carrier, pickup_date)."""
    try:
        carrier = carriers.named(services, form.carrier)
    except UserError as exc:
        return {"carrier": exc.message}
    if form.delivery not in carrier.deliveries:
        return {"pickup_date": f"{carrier.title} pickups are not set up on this bot: choose drop-off."}
    return {}


def form_errors(draft: ReturnDraft, form: ReturnForm, today: date) -> dict[str, str]:
    """Problems with the form, by field: items, weight, address, pickup_date, pickup_phone, email."""
    limits = {i.line_item_id: (i.quantity, i.name) for i in draft.items}
    errors = item_errors(form.quantities, limits)
    for name, message in entry_errors(form, today).items():
        errors.setdefault(name, message)
    if form.email_customer and not draft.order.email:
        errors["email"] = "The order has no e-mail address: the label can only go into the thread."
    return errors


def item_errors(quantities: Mapping[str, int], limits: Mapping[str, tuple[int, str]]) -> dict[str, str]:
    """The quantities against what the draft allows (line item id -> (most, name))."""
    for item_id, quantity in quantities.items():
        most, name = limits.get(item_id, (0, ""))
        if item_id not in limits or quantity < 0:
            return {"items": "Choose items from the order."}
        if quantity > most:
            return {"items": f"At most {most} × {name} can be returned."}
    return {}


def entry_errors(form: ReturnForm, today: date) -> dict[str, str]:
    """What the form alone shows to be wrong, without the draft (no I/O: a submission is checked in its ack)."""
    errors: dict[str, str] = {}
    if any(q < 0 for q in form.quantities.values()):
        errors["items"] = "Choose items from the order."
    elif sum(form.quantities.values()) <= 0:
        errors["items"] = "Choose at least one item to return."
    elif any(form.quantities.get(line_id, 0) <= 0 for line_id, variant in form.exchanges.items() if variant):
        errors["items"] = "An exchange is chosen for an item that does not come back: give how many come back."
    if form.weight_grams <= 0:
        errors["weight"] = "The parcel must weigh something: enter its weight in kg, e.g. 1.2."
    elif form.weight_grams > MAX_WEIGHT_GRAMS:
        errors["weight"] = f"At most {MAX_WEIGHT_GRAMS // 1000} kg fits a return parcel."
    missing = _missing_address_parts(form.sender)
    if missing:
        errors["address"] = f"The customer's address is missing the {', '.join(missing)}."
    if form.delivery == Delivery.PICKUP:
        if form.pickup_date is None:
            errors["pickup_date"] = "Choose the day the carrier picks the parcel up."
        elif form.pickup_date <= today:
            errors["pickup_date"] = "A pickup can be booked from tomorrow on."
        if len(re.sub(r"\D", "", form.pickup_phone)) < 6:
            errors["pickup_phone"] = "The carrier needs a phone number for the pickup."
    return errors


def parse_weight(text: str) -> int:
    """`1.2` or `1,2` kg → grams; anything unreadable is 0, which the form reports."""
    try:
        return round(float(text.strip().replace(",", ".")) * 1000)
    except (ValueError, AttributeError, OverflowError):
        return 0


def parse_quantity(text: str) -> int:
    """A typed or chosen quantity; anything that is not a whole number is -1, which the form reports."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else -1


def _missing_address_parts(address: Address) -> list[str]:
    parts = (("name", address.name), ("street", address.address1), ("postcode", address.zip),
             ("city", address.city), ("country", address.country))  # fmt: skip
    return [what for what, value in parts if not value.strip()]
