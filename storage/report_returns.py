"""Returns as the sales report counts them: units by reason, for the cases opened in a period (cancelled ones
left out). Items are JSON on the case, so they are summed here, a case at a time, from the rows of the period."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from domain.vocabulary import ReturnStatus
from storage.db import Database
from storage.models import ReturnCaseRow


@dataclass(frozen=True)
class ReturnsByReason:
    cases: int
    units: dict[str, int]  # reason key -> units


def returns_by_reason(db: Database, store: str, start: datetime, end: datetime) -> ReturnsByReason:
    r = ReturnCaseRow
    stmt = select(r.items).where(
        r.store == store, r.created_at >= start, r.created_at < end, r.status != ReturnStatus.CANCELLED.value
    )
    units: Counter[str] = Counter()
    cases = 0
    with db.session() as s:
        for (items,) in s.execute(stmt):
            cases += 1
            for item in items or ():
                units[str(item.get("reason") or "other")] += int(item.get("quantity") or 0)
    return ReturnsByReason(cases, dict(units))
