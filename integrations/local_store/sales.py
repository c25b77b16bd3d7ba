"""The local store's orders as the sales report reads them: pages in order of creation, by keyset (never OFFSET,
so the millionth row costs what the first did)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, or_, select

from domain.sales import SalesOrder, SalesPage
from storage.db import Database
from storage.models import OrderRow

PAGE = 5000


def sales_page(db: Database, start: datetime, end: datetime, after: str | None, *, size: int = PAGE) -> SalesPage:
    o = OrderRow
    stmt = (
        select(o.id, o.name, o.created_at, o.currency, o.total, o.refunded, o.subtotal, o.discount, o.tags,
               o.cancelled_at)
        .where(o.created_at >= start, o.created_at < end)
        .order_by(o.created_at, o.id)
        .limit(size)
    )  # fmt: skip
    if after:
        at_text, _, id_text = after.rpartition("|")
        at, last_id = datetime.fromisoformat(at_text), int(id_text)
        stmt = stmt.where(or_(o.created_at > at, and_(o.created_at == at, o.id > last_id)))
    with db.session() as s:
        rows = s.execute(stmt).all()
    orders = tuple(
        SalesOrder(
            name=r.name, created_at=r.created_at, currency=r.currency, total=Decimal(r.total),
            refunded=Decimal(r.refunded), list_value=Decimal(r.subtotal) + Decimal(r.discount),
            tags=tuple(t.strip() for t in r.tags.split(",") if t.strip()), cancelled=r.cancelled_at is not None,
        )
        for r in rows
    )  # fmt: skip
    cursor = f"{rows[-1].created_at.isoformat()}|{rows[-1].id}" if len(rows) == size else None
    return SalesPage(orders, cursor)
