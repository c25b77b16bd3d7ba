"""What every workflow is handed: the outside world, built once from configuration (bot/services.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.carrier import Carrier
from domain.orders import Address
from domain.store import Store
from integrations.mail import Mailer
from storage.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReturnSettings:
    """Where returns go, and who the customer hears from."""

    address: Address
    email: str
    shop_name: str


@dataclass
class Services:
    db: Database
    store: Store
    clock: Callable[[], datetime] = field(default=utc_now)
    carrier: Carrier | None = None
    mailer: Mailer | None = None
    returns: ReturnSettings | None = None  # where returns go; None: returns are not set up
