"""What an executor of an approved request reports back (commands.approved_work)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkDone:
    """What an executor made: the store's id of it (kept as the request's `store_refund_id`), and what the thread is
    to report of it (kept as the request's `result`, JSON values only: e.g. {"name": "#1030"})."""

    store_id: str
    result: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.store_id:
            raise ValueError("work done names the store's id of what it made")
