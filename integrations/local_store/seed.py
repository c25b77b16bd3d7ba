"""Demo orders for the embedded default: a store that has nothing in it yet gets something to look at."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from integrations.local_store.importer import ImportSummary, import_orders
from storage.db import Database
from storage.models import OrderRow

# Written for this project (not a customer's data): 24 orders of a Nordic outdoor shop in Shopify's
# export format, with the optional Tracking Number/Company/URL and Locale columns.
DEMO_ORDERS: Path = Path(__file__).with_name("demo_orders.csv")


def seed_demo_orders(db: Database) -> ImportSummary | None:
    """Import the demo orders if the store has no orders at all; None when it already had some.

    Two instances starting at once may both see an empty store: the import is idempotent and
    serialised, so the second one only finds the demo orders unchanged.
    """
    with db.session() as session:
        if session.execute(select(OrderRow.id).limit(1)).first() is not None:
            return None
    return import_orders(db, DEMO_ORDERS)
