"""Demo orders for the embedded default: a store that has nothing in it yet gets something to look at."""

from __future__ import annotations

from sqlalchemy import select

from integrations.local_store.importer import DEMO_ORDERS, ImportSummary, import_orders
from storage.db import Database
from storage.models import OrderRow

__all__ = ["DEMO_ORDERS", "seed_demo_orders"]


def seed_demo_orders(db: Database) -> ImportSummary | None:
    """Import the demo orders if the store has no orders at all; None when it already had some.

    Two instances starting at once may both see an empty store: the import is idempotent and
    serialised, so the second one only finds the demo orders unchanged. Once they are in, the importer
    refuses a real export into the same database (see importer.DEMO_IN_DATABASE).
    """
    with db.session() as session:
        if session.execute(select(OrderRow.id).limit(1)).first() is not None:
            return None
    return import_orders(db, DEMO_ORDERS)
