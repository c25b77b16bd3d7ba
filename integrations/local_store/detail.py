"""One order with its children (addresses, line items, fulfillments, transactions) in one round trip.

The five SELECTs run on the pool's driver connection, without the ORM or SQLAlchemy's execution context: at a few
rows each, building and compiling statements and reading results through SQLAlchemy cost more than the queries
(measured at 1M orders: most of look_up()'s time). Each column still goes through its type's own result processor,
so values are exactly what the models give (exact amounts, aware UTC times, booleans).

PostgreSQL: the five statements go in one message, in one read-only REPEATABLE READ transaction (one snapshot, one
round trip). SQLite runs in the process: the same statements one after another in one read transaction.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Table
from sqlalchemy.engine import Dialect

from storage.db import Database
from storage.models import AddressRow, Base, FulfillmentRow, LineItemRow, OrderRow, TransactionRow

CHILDREN: tuple[type[Base], ...] = (AddressRow, LineItemRow, FulfillmentRow, TransactionRow)

# an order's row, then its children table by table in CHILDREN's order (rows read by column name)
OrderRows = tuple[Any, list[list[Any]]]


def read_order(db: Database, key: int) -> OrderRows | None:
    tables = [_table(OrderRow), *(_table(m) for m in CHILDREN)]
    raw = db.engine.raw_connection()
    try:
        if db.dialect == "postgresql":
            results = _postgres(raw.driver_connection, tables, key)
        else:
            results = _sqlite(raw.driver_connection, tables, key)
    finally:
        raw.close()  # back to the pool
    dialect = db.engine.dialect
    order, *children = (
        _reader(table, dialect, description)(rows) for table, (description, rows) in zip(tables, results, strict=True)
    )
    if not order:
        return None
    return order[0], children


_Result = tuple[Sequence[Any], list[tuple[Any, ...]]]  # the cursor's description, its rows


def _select(table: Table, where: str) -> str:
    columns = ", ".join(c.name for c in table.columns)
    return f"SELECT {columns} FROM {table.name} WHERE {where} ORDER BY id"


def _postgres(driver: Any, tables: list[Table], key: int) -> list[_Result]:
    # the key is an int: written into the text, so the message needs no parameters and may hold five statements
    orders, *children = tables
    statements = [_select(orders, f"id = {int(key)}"), *(_select(t, f"order_id = {int(key)}") for t in children)]
    sql = f"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; {'; '.join(statements)}; COMMIT"
    was_autocommit = driver.autocommit
    driver.autocommit = True  # the message carries its own BEGIN and COMMIT
    try:
        with driver.cursor() as cursor:
            cursor.execute(sql)
            results: list[_Result] = []
            while True:
                if cursor.description is not None:
                    results.append((cursor.description, cursor.fetchall()))
                if not cursor.nextset():
                    break
    except BaseException:
        if driver.info.transaction_status != 0:  # not idle: a statement failed inside the BEGIN
            driver.execute("ROLLBACK")
        raise
    finally:
        driver.autocommit = was_autocommit
    return results


def _sqlite(driver: Any, tables: list[Table], key: int) -> list[_Result]:
    orders, *children = tables
    statements = [_select(orders, "id = ?"), *(_select(t, "order_id = ?") for t in children)]
    cursor = driver.cursor()
    try:
        cursor.execute("BEGIN")  # one snapshot for the five reads
        results = []
        for sql in statements:
            cursor.execute(sql, (key,))
            results.append((cursor.description, cursor.fetchall()))
        cursor.execute("COMMIT")
    except BaseException:
        if driver.in_transaction:
            driver.rollback()
        raise
    finally:
        cursor.close()
    return results


Reader = Callable[[list[tuple[Any, ...]]], list[Any]]
_readers: dict[tuple[Any, ...], Reader] = {}


def _reader(table: Table, dialect: Dialect, description: Sequence[Any]) -> Reader:
    return reader(list(table.columns), [c.name for c in table.columns], dialect, description)


def reader(columns: list[ColumnElement[Any]], names: list[str], dialect: Dialect, description: Sequence[Any]) -> Reader:
    """Rows of `columns` (named `names`) as named tuples, each value through its column type's result processor
    (made once per set of columns and database: the driver's type codes are part of the key)."""
    codes = tuple(d[1] for d in description)
    cache_key = (tuple(map(id, columns)), tuple(names), dialect.name, codes)  # the columns live as long as the models
    read = _readers.get(cache_key)
    if read is None:
        read = _make_reader(columns, names, dialect, codes)
        _readers[cache_key] = read
    return read


def _make_reader(
    columns: list[ColumnElement[Any]], names: list[str], dialect: Dialect, codes: tuple[Any, ...]
) -> Reader:
    make = namedtuple("row", names)  # type: ignore[misc]
    processors = [
        (i, process)
        for i, (column, code) in enumerate(zip(columns, codes, strict=True))
        if (process := column.type.dialect_impl(dialect).result_processor(dialect, code)) is not None
    ]

    def read(rows: list[tuple[Any, ...]]) -> list[Any]:
        out = []
        for row in rows:
            values = list(row)
            for i, process in processors:
                values[i] = process(values[i])
            out.append(make(*values))
        return out

    return read


_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")  # :name, not the cast in 'simple'::regconfig


def query(db: Database, sql: str, params: dict[str, Any]) -> tuple[Sequence[Any], list[tuple[Any, ...]]]:
    """One SELECT with `:name` parameters on the pool's driver connection, outside any transaction (one statement
    reads one snapshot): the cursor's description and its rows, as the driver gives them."""
    raw = db.engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if db.dialect == "postgresql":
            was_autocommit = driver.autocommit
            driver.autocommit = True  # no BEGIN before the statement: one round trip
            try:
                with driver.cursor() as cursor:
                    cursor.execute(_pg_sql(sql), params)
                    return cursor.description, cursor.fetchall()
            finally:
                driver.autocommit = was_autocommit
        cursor = driver.cursor()
        try:
            cursor.execute(sql, params)  # the sqlite3 driver takes :name as it is
            return cursor.description, cursor.fetchall()
        finally:
            cursor.close()
    finally:
        raw.close()


@lru_cache(maxsize=64)
def _pg_sql(sql: str) -> str:
    return _PARAMETER.sub(r"%(\1)s", sql)


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)
