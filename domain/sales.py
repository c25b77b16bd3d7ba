"""Orders as a sales report reads them: one row per order, in pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class SalesOrder:
    name: str
    created_at: datetime
    currency: str
    total: Decimal  # what the customer was charged
    refunded: Decimal
    list_value: Decimal  # the items at list price, before discounts (what a replacement is worth)
    tags: tuple[str, ...]
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class SalesPage:
    orders: tuple[SalesOrder, ...]
    next_cursor: str | None  # None: this was the last page
