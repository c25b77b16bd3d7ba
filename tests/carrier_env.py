"""What the real-carrier tests share (issue 14): services on a test database whose carrier is a real adapter pointed
at its fake on 127.0.0.1, the Slack harness, a real SMTP server, and helpers to read what the bot said.

    with shipit_services(db, mail_url) as (services, fake): ...
    slack = start_harness(services)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from commands.services import ReturnSettings, Services
from domain.carrier import Carrier
from integrations.carriers.local import LocalCarrier
from integrations.carriers.shipit import ShipitCarrier
from integrations.carriers.shipit.standin import FakeShipit
from integrations.local_store.seed import seed_demo_orders
from integrations.local_store.store import LocalStore
from integrations.mail import SmtpMailer
from storage.db import Database
from storage.serials import next_serial
from tests.lifecycle_env import WAREHOUSE

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
SHOP = ReturnSettings(address=WAREHOUSE, email="returns@example.com", shop_name="Returnbot Demo")


def shipit_carrier(fake: FakeShipit, *, timeout: float = 5.0, **options: Any) -> ShipitCarrier:
    return ShipitCarrier(
        api_key=fake.api_key, api_url=fake.url, service_id=fake.service_id,
        pickup_service_id=fake.pickup_service_id, shop_email=SHOP.email, timeout=timeout, **options,
    )  # fmt: skip


@contextmanager
def shipit_services(db: Database, mail_url: str, *, timeout: float = 5.0) -> Iterator[tuple[Services, FakeShipit]]:
    """The demo orders, the local store, Shipit as the only carrier (pointed at a fresh fake), SMTP to `mail_url`."""
    seed_demo_orders(db)
    with FakeShipit(shop_zip=WAREHOUSE.zip, today=lambda: NOW.date()) as fake:
        carrier = shipit_carrier(fake, timeout=timeout)
        services = Services(db=db, store=LocalStore(db), clock=lambda: NOW, carrier=carrier,
                            mailer=SmtpMailer(mail_url), returns=SHOP)  # fmt: skip
        try:
            yield services, fake
        finally:
            carrier.close()


def with_local(services: Services, db: Database, by_country: dict[str, str]) -> None:
    """The local carrier beside the default, and CARRIER_BY_COUNTRY."""
    local: Carrier = LocalCarrier(lambda: next_serial(db, "tracking", NOW))
    assert services.carrier is not None
    services.carriers = {services.carrier.name: services.carrier, "local": local}
    services.carrier_by_country = by_country


def body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def attachment(message: EmailMessage) -> bytes:
    for part in message.iter_attachments():
        if part.get_content_type() == "application/pdf":
            content = part.get_content()
            assert isinstance(content, bytes)
            return content
    raise AssertionError("no PDF attached")
