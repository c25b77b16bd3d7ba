"""The demo orders shipped with the package, as the bot's Order values (for serving them through fakes)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from sqlalchemy import select

from domain.orders import Order
from integrations.local_store.importer import import_orders
from integrations.local_store.seed import DEMO_ORDERS
from integrations.local_store.store import LocalStore
from storage.db import Database, make_engine
from storage.migrate import upgrade
from storage.models import OrderRow


def demo_orders() -> list[Order]:
    """The 24 demo orders, imported once per process through the real importer and local store."""
    return list(_demo_orders())


@cache
def _demo_orders() -> tuple[Order, ...]:
    with tempfile.TemporaryDirectory(prefix="returnbot-demo-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'demo.db'}")
        try:
            upgrade(engine)
            db = Database(engine)
            import_orders(db, DEMO_ORDERS)
            with db.session() as session:
                ids = list(session.scalars(select(OrderRow.id).order_by(OrderRow.id)))
            store = LocalStore(db)
            orders = tuple(store.get_order(str(i)) for i in ids)
        finally:
            engine.dispose()
    assert all(o is not None for o in orders), "an imported demo order could not be read back"
    return orders  # type: ignore[return-value]
