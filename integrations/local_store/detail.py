"""One order with its children (addresses, line items, fulfillments, transactions) in one round trip.

PostgreSQL: each child table comes along as a JSON array in the order's own row (`json_agg`), so reading an order
costs one statement instead of five; the JSON is read back through the columns' own types (exact amounts, aware
UTC times). SQLite runs in the process, where five statements cost less than building JSON: there the rows are
read one table after another.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Row, Table, literal_column, select
from sqlalchemy.orm import Session

from storage.models import AddressRow, Base, FulfillmentRow, LineItemRow, OrderRow, TransactionRow
from storage.types import Amount, UTCDateTime

CHILDREN: tuple[type[Base], ...] = (AddressRow, LineItemRow, FulfillmentRow, TransactionRow)

# an order's row, then its children table by table in CHILDREN's order (rows read by column name)
OrderRows = tuple[Any, list[list[Any]]]


def read_order(session: Session, key: int) -> OrderRows | None:
    if session.get_bind().dialect.name == "postgresql":
        return _in_one_statement(session, key)
    order = session.execute(select(_table(OrderRow)).where(OrderRow.id == key)).first()
    if order is None:
        return None
    children = []
    for model in CHILDREN:
        table = _table(model)
        children.append(list(session.execute(select(table).where(table.c.order_id == key).order_by(table.c.id))))
    return order, children


def _in_one_statement(session: Session, key: int) -> OrderRows | None:
    orders = _table(OrderRow)
    arrays: list[Any] = [
        literal_column(
            f"(SELECT coalesce(json_agg(c ORDER BY c.id), '[]')::text FROM {_table(m).name} AS c "
            f"WHERE c.order_id = orders.id)"
        ).label(f"_children_{i}")
        for i, m in enumerate(CHILDREN)
    ]
    row: Row[Any] | None = session.execute(select(orders, *arrays).where(orders.c.id == key)).first()
    if row is None:
        return None
    children = [_rows(_table(m), getattr(row, f"_children_{i}")) for i, m in enumerate(CHILDREN)]
    return row, children


def _rows(table: Table, array: str) -> list[Any]:
    readers = _readers(table)
    rows = []
    for values in json.loads(array, parse_float=Decimal):
        for name, read in readers:
            if values[name] is not None:
                values[name] = read(values[name])
        rows.append(SimpleNamespace(**values))
    return rows


def _readers(table: Table) -> list[tuple[str, Callable[[Any], Any]]]:
    """How a JSON value of each column that needs it becomes what the column's type gives: amounts exact (and
    normalised, as Amount does), times aware UTC."""
    readers: list[tuple[str, Callable[[Any], Any]]] = []
    for column in table.columns:
        if isinstance(column.type, Amount):
            readers.append((column.name, lambda v: Decimal(str(v)).normalize()))
        elif isinstance(column.type, UTCDateTime):
            readers.append((column.name, lambda v: datetime.fromisoformat(v).astimezone(UTC)))
    return readers


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)
