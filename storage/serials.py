"""Numbers no two instances ever hand out twice: each is the id of a row inserted for it."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database
from storage.models import SerialRow


def next_serial(db: Database, kind: str, at: datetime) -> int:
    with db.session(write=True) as session:
        row = SerialRow(kind=kind, created_at=at)
        session.add(row)
        session.flush()
        return row.id
