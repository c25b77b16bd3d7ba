"""Client-side pacing against Shopify's cost bucket, so that bursts are not throttled.

Shopify keeps one leaky bucket per app and shop: a query is admitted when the bucket holds its
requested cost. Every response reports the bucket (`throttleStatus`), and that report is the truth
we resync to; between reports we model the refill ourselves. Nothing about the bucket's size or rate
is hard-coded: until the first report, requests are not held back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_COST = 50.0  # a document never seen before: a guess, replaced by Shopify's figure on first use


@dataclass(frozen=True)
class ThrottleStatus:
    maximum: float
    available: float
    restore_rate: float

    @classmethod
    def from_cost(cls, cost: dict[str, Any] | None) -> ThrottleStatus | None:
        status = (cost or {}).get("throttleStatus") or {}
        try:
            return cls(
                float(status["maximumAvailable"]), float(status["currentlyAvailable"]), float(status["restoreRate"])
            )
        except (KeyError, TypeError, ValueError):
            return None


class CostBucket:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._maximum: float | None = None
        self._rate = 0.0
        self._available = 0.0
        self._at = clock()
        self._costs: dict[str, float] = {}

    def cost_of(self, name: str) -> float:
        return self._costs.get(name, DEFAULT_COST)

    def reserve(self, name: str) -> float:
        """Take the document's cost from the bucket; seconds to wait before sending it."""
        with self._lock:
            if self._maximum is None or self._rate <= 0:
                return 0.0
            self._refill()
            # a query can never need more than the whole bucket
            cost = min(self.cost_of(name), self._maximum)
            self._available -= cost
            return max(0.0, -self._available / self._rate)

    def observe(self, name: str, cost: dict[str, Any] | None) -> None:
        """Resync to what Shopify reported with a response."""
        requested = (cost or {}).get("requestedQueryCost")
        status = ThrottleStatus.from_cost(cost)
        with self._lock:
            if isinstance(requested, int | float):
                self._costs[name] = float(requested)
            if status is not None:
                self._maximum, self._rate = status.maximum, status.restore_rate
                self._available, self._at = status.available, self._clock()

    def throttled_wait(self, cost: dict[str, Any] | None) -> float:
        """Seconds until a THROTTLED request would be admitted: (requested − available) / restore rate."""
        status = ThrottleStatus.from_cost(cost)
        requested = (cost or {}).get("requestedQueryCost")
        if status is None or not isinstance(requested, int | float) or status.restore_rate <= 0:
            return 1.0
        return max(0.0, (float(requested) - status.available) / status.restore_rate)

    def _refill(self) -> None:
        now = self._clock()
        assert self._maximum is not None
        self._available = min(self._maximum, self._available + (now - self._at) * self._rate)
        self._at = now
