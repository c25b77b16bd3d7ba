"""What every workflow is handed: the outside world, built once from configuration (bot/services.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from integrations.store import Store
from storage.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    db: Database
    store: Store
    clock: Callable[[], datetime] = field(default=utc_now)
