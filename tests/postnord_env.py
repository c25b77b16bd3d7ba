"""What the PostNord tests share: a fake PostNord, an adapter pointed at it, and returns to book."""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.carrier import Parcel, ReturnItem, ReturnShipmentRequest
from domain.orders import Address
from domain.vocabulary import Delivery
from integrations.carriers.postnord import PostNordCarrier
from integrations.carriers.postnord.standin import FakePostNord

TODAY = date(2026, 11, 30)  # a Monday
NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
SHOP = Address(name="Returnbot Demo Warehouse", address1="Östermalmsgatan 87D", zip="114 59", city="Stockholm",
               country="SE", phone="+46 8 123 456")  # fmt: skip
CUSTOMER = Address(name="Anna Svensson", address1="Terminalvägen 14", zip="171 73", city="Solna", country="SE",
                   phone="+46 70 123 45 67")  # fmt: skip


def fake_postnord() -> FakePostNord:
    """A fake that refuses returns not consigned to SHOP, and checks pickups against TODAY."""
    return FakePostNord(return_postal_code="11459", today=TODAY)


def carrier_for(fake: FakePostNord, **overrides: object) -> PostNordCarrier:
    settings: dict[str, object] = {
        "api_key": fake.api_key, "api_url": fake.url, "customer_number": fake.customer_number, "issuer_code": "",
        "pickup_min_grams": 20_000, "timeout": 2.0, "now": lambda: NOW, "return_address": SHOP,
        "sleep": lambda _seconds: None,
    }  # fmt: skip
    settings.update(overrides)
    return PostNordCarrier(**settings)  # type: ignore[arg-type]


def a_return(
    delivery: Delivery = Delivery.DROP_OFF,
    *,
    rma: str = "RMA-1001-1",
    sender: Address = CUSTOMER,
    grams: int = 1200,
    pickup_date: date | None = None,
    pickup_phone: str = "",
) -> ReturnShipmentRequest:
    if delivery == Delivery.PICKUP and pickup_date is None:
        pickup_date = date(2026, 12, 1)
    return ReturnShipmentRequest(
        rma=rma, order_name="#1001", sender=sender, receiver=SHOP, parcel=Parcel(grams, 30, 20, 10),
        delivery=delivery, items=[ReturnItem("Linen shirt", "SHIRT-M", 1, "size_too_small")], created=TODAY,
        pickup_date=pickup_date, pickup_phone=pickup_phone, language="sv", customer_email="anna@example.com",
    )  # fmt: skip
