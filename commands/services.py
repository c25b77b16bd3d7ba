"""What every workflow is handed: the outside world, built once from configuration (bot/services.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

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


@dataclass(frozen=True)
class LifecycleSettings:
    """When the scheduler reminds, escalates, expires and sends the digest (RETURN_*_DAYS, DIGEST_*, TIMEZONE)."""

    reminder_days: int = 14
    escalation_days: int = 21
    expiry_days: int = 30
    customer_reminder: bool = True  # the day-`reminder_days` reminder e-mails the customer too
    escalation_channel: str = ""  # "": the escalation goes to the case's own thread
    digest_channel: str = ""  # "": no digest
    digest_time: time = time(9, 0)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Helsinki"))


class MovableClock:
    """A clock that can be moved forward: the shell's `tick +15d`, and tests. It starts at `start` (now by
    default) and then runs with `real` time; with `real=None` it stands still between moves."""

    def __init__(self, start: datetime | None = None, *, real: Callable[[], datetime] | None = utc_now) -> None:
        self._real = real
        self._origin = real() if real is not None else None
        self._start = start if start is not None else (self._origin or utc_now())
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            moved = self._start + self._offset
        if self._real is None or self._origin is None:
            return moved
        return moved + (self._real() - self._origin)

    def advance(self, by: timedelta) -> None:
        if by < timedelta(0):
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += by


@dataclass
class Services:
    db: Database
    store: Store
    clock: Callable[[], datetime] = field(default=utc_now)
    carrier: Carrier | None = None  # the default (CARRIER)
    # every carrier set up, by name (the default among them), and which one a customer's country uses
    # (CARRIER_BY_COUNTRY); empty: only `carrier`
    carriers: dict[str, Carrier] = field(default_factory=dict)
    carrier_by_country: dict[str, str] = field(default_factory=dict)
    mailer: Mailer | None = None
    returns: ReturnSettings | None = None  # where returns go; None: returns are not set up
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)  # reminders, expiry, digest
    shop_country: str = "FI"  # SHOP_COUNTRY: where a phone number written without a country code is read
