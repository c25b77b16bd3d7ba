"""Shopify's cost-based rate limit on the fake: a leaky bucket of query points, and the single-query ceiling.

How a query is priced is cost.py's part; this is what the price is taken from.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

MAX_QUERY_COST = 1000
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"


class LeakyBucket:
    """Shopify's leaky bucket: restores `restore_rate` points a second up to `maximum`. Seconds are real ones
    (the benchmarks pace against them) unless a test hands in a clock it moves."""

    def __init__(
        self, maximum: float, restore_rate: float, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._monotonic = monotonic
        self._available = maximum
        self._updated = monotonic()
        self._lock = threading.Lock()

    def _restore(self) -> None:
        now = self._monotonic()
        self._available = min(self.maximum, self._available + (now - self._updated) * self.restore_rate)
        self._updated = now

    def take(self, cost: int) -> bool:
        with self._lock:
            self._restore()
            if self._available < cost:
                return False
            self._available -= cost
            return True

    def give_back(self, points: float) -> None:
        with self._lock:
            self._restore()
            self._available = min(self.maximum, self._available + points)

    def refill(self) -> None:
        with self._lock:
            self._available, self._updated = self.maximum, self._monotonic()

    def status(self) -> dict[str, float]:
        with self._lock:
            self._restore()
            available = math.floor(self._available * 10) / 10  # rounded down: waiting on it never falls short
        return {"maximumAvailable": self.maximum, "currentlyAvailable": available, "restoreRate": self.restore_rate}


def max_cost_error(cost: int, ceiling: int) -> dict[str, Any]:
    message = (
        f"Query cost is {cost}, which exceeds the single query max cost limit ({ceiling}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
        "cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
        "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
    )
    return {"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": ceiling}}


def throttled_error() -> dict[str, Any]:
    return {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}
