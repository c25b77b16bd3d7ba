"""Writing many rows fast: primary keys handed out in advance, one bulk statement per table (executemany on
SQLite, COPY on PostgreSQL), and the search index (names, ship-to names, phone numbers) filled once at the end
instead of by a trigger per order, on both databases."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, func, select, text


class PrimaryKeys:
    """Primary keys handed out before the rows are inserted, so children can point at their parents
    without RETURNING (which SQLite runs one statement per row when the order of the ids must be known)."""

    def __init__(self, conn: Connection, table: Table) -> None:
        self.conn = conn
        self.table = table
        self.postgres = conn.dialect.name == "postgresql"
        # SQLite: the import holds the write lock (BEGIN IMMEDIATE) until it commits, so nobody else can
        # take ids above the current maximum in the meantime
        self.next_id = 0 if self.postgres else (conn.scalar(select(func.max(table.c.id))) or 0) + 1
        self.first_id = self.next_id

    def take(self, count: int) -> list[int]:
        if count == 0:
            return []
        if self.postgres:
            stmt = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
            return list(self.conn.execute(stmt, {"table": self.table.name, "count": count}).scalars())
        first = self.next_id
        self.next_id += count
        return list(range(first, first + count))


class BulkInsert:
    """Many rows into one table, the fastest way each database takes them: executemany on the SQLite
    driver, COPY on PostgreSQL. SQLAlchemy's own executemany costs more per row than SQLite's insert
    does, and on psycopg it turns into one unprepared statement per row (see `make_engine`) or, with
    multi-row VALUES, into seconds of placeholder rewriting. Values still go through each column type's
    bind processor, so they are stored exactly as through the models (Decimal as text on SQLite, UTC
    datetimes, ...)."""

    def __init__(self, conn: Connection, table: Table, *, with_id: bool) -> None:
        dialect = conn.dialect
        quote = dialect.identifier_preparer.quote
        columns = [c for c in table.columns if with_id or c.name != "id"]
        names = ", ".join(quote(c.name) for c in columns)
        self.conn = conn
        self.copy = dialect.name == "postgresql"
        if self.copy:
            self.sql = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        else:
            self.sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join(['?'] * len(columns))})"
        self.values = itemgetter(*(c.name for c in columns))
        self.processors = [
            (i, process) for i, c in enumerate(columns) if (process := c.type.bind_processor(dialect)) is not None
        ]

    def __call__(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        params = list(map(self.values, rows))
        if self.processors:
            # column by column, so the loops run in C (zip, map) and Python only runs the processors
            columns: list[Any] = list(zip(*params, strict=True))
            for i, process in self.processors:
                columns[i] = _processed(columns[i], process)
            params = list(zip(*columns, strict=True))
        if not self.copy:
            self.conn.exec_driver_sql(self.sql, params)
            return
        # psycopg's cursor on the connection (and so in the transaction) the import runs in
        driver = self.conn.connection.driver_connection
        assert driver is not None, "an open connection has its driver's connection"
        with driver.cursor() as cursor, cursor.copy(self.sql) as copy:
            for values in params:
                copy.write_row(values)


def _processed(values: Sequence[Any], process: Callable[[Any], Any]) -> Iterator[Any]:
    """`map(process, values)`, processing each distinct object once: amounts come from the parse cache,
    flags are True or False, `updated_at` is one datetime. By identity, not equality: Decimal("1.0") and
    Decimal("1.00") are equal but stored as different text. (Every value is alive, so ids are unique.)"""
    keys = list(map(id, values))
    done = {key: process(value) for key, value in dict(zip(keys, values, strict=True)).items()}
    return map(done.__getitem__, keys)


# migrations 0001, 0007, 0011: SQLite's phone index and name links, kept up by these triggers
_PHONE_INDEX_TRIGGER = "orders_fts_ai"
_LINK_TRIGGERS = ("order_names_links_ai", "order_names_links_au")
_NAME_INDEX_TRIGGER = "order_names_distinct_ai"
_NARROW = "id, created_at, email_lower, search_name, ship_search_name"
_PG_LINK = "returnbot_link_order_names(integer[], text[])"  # PostgreSQL's name links (0011)
# An e-mail whose orders carry more names than this is a shared mailbox (a marketplace, the shop's own address), not
# one customer: its orders are linked under their own names only, else it makes names x orders links. Migration
# 0011 holds its own copy of the number for its triggers.
MAX_NAMES_PER_EMAIL = 10


@contextmanager
def name_index_filled_at_the_end(conn: Connection, written: list[int], left_emails: set[str]) -> Iterator[None]:
    """Index the orders an import writes (`written`, their ids, complete once the block ends; `left_emails`, the
    e-mails rewritten orders had before, complete too) in a few statements at the end instead of trigger runs
    per order: their phone numbers, and the links from names to orders (migration 0011), for every order of
    their e-mails.

    SQLite: FTS5 fired from a row trigger costs 20-40 µs an order, more than the rest of the import spends on
    it; one INSERT ... SELECT costs a tenth of that. The triggers are dropped, and created again from the SQL
    the database stored for them, inside the import's transaction: nobody sees them missing, and a failed import
    rolls the drop back with everything else. A rewritten order's phone numbers are indexed again by the update
    trigger. PostgreSQL: the triggers stand aside for this transaction (`returnbot.bulk_import`, see migrations
    0007 and 0011); the narrow `order_names` copy is made, and the names linked, for every written order at the
    end. Another schema (no such triggers) is left as it is.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL returnbot.bulk_import = 'on'"))
        yield
        conn.execute(
            text(
                "INSERT INTO order_names (order_id, created_at, search_name, ship_search_name, email_lower, phones) "
                "SELECT id, created_at, search_name, ship_search_name, email_lower, string_to_array(phone_keys, ' ') "
                "FROM orders WHERE id = ANY(:ids) ON CONFLICT (order_id) DO UPDATE SET "
                "created_at = EXCLUDED.created_at, search_name = EXCLUDED.search_name, "
                "ship_search_name = EXCLUDED.ship_search_name, email_lower = EXCLUDED.email_lower, "
                "phones = EXCLUDED.phones"
            ),
            {"ids": written},
        )
        if written and conn.scalar(text(f"SELECT to_regprocedure('{_PG_LINK}') IS NOT NULL")):
            conn.execute(
                text("SELECT returnbot_link_order_names(CAST(:ids AS integer[]), CAST(:emails AS text[]))"),
                {"ids": written, "emails": sorted(left_emails)},
            )
        conn.execute(text("SET LOCAL returnbot.bulk_import = 'off'"))
        return
    names = (_PHONE_INDEX_TRIGGER, *_LINK_TRIGGERS, _NAME_INDEX_TRIGGER)
    found = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({', '.join('?' * len(names))})",
        names,
    )
    triggers: dict[str, str] = {name: sql for name, sql in found}
    if len(triggers) < len(names):
        yield
        return
    first_new = (conn.scalar(select(func.max(text("id"))).select_from(text("orders"))) or 0) + 1
    for name in triggers:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    conn.execute(
        text("INSERT INTO order_name_fts(rowid, phone_keys) SELECT id, phone_keys FROM orders WHERE id >= :first"),
        {"first": first_new},
    )
    _sqlite_links(conn, first_new, [i for i in written if i < first_new], left_emails)
    for sql in triggers.values():
        conn.exec_driver_sql(sql)


def _sqlite_links(conn: Connection, first_new: int, rewritten: list[int], left_emails: set[str]) -> None:
    """Link again the orders from `first_new` on, the `rewritten` ones and every order of their e-mails and of
    `left_emails`, read once into a narrow temporary table (the SQL of migration 0011's triggers, in bulk)."""
    fresh = first_new == 1 and not rewritten  # the store was empty: every order is new, no e-mail reaches further
    conn.exec_driver_sql(
        "CREATE TEMP TABLE returnbot_name_links (id INTEGER PRIMARY KEY, created_at, email_lower, search_name, "
        "ship_search_name)"
    )
    links = "temp.returnbot_name_links"
    conn.execute(text(f"INSERT INTO {links} SELECT {_NARROW} FROM orders WHERE id >= :first"), {"first": first_new})
    if not fresh:
        conn.execute(
            text(
                f"INSERT OR IGNORE INTO {links} SELECT {_NARROW} FROM orders "
                "WHERE id IN (SELECT value FROM json_each(:i))"
            ),
            {"i": json.dumps(rewritten)},
        )
        conn.execute(
            text(
                f"INSERT OR IGNORE INTO {links} SELECT {_NARROW} FROM orders "
                "WHERE email_lower <> '' AND email_lower IN "
                f"(SELECT email_lower FROM {links} WHERE email_lower <> '' UNION SELECT value FROM json_each(:left))"
            ),
            {"left": json.dumps(sorted(left_emails))},
        )
        conn.exec_driver_sql(f"DELETE FROM order_names_orders WHERE order_id IN (SELECT id FROM {links})")
    last_name = conn.scalar(text("SELECT max(id) FROM order_names_distinct")) or 0
    conn.exec_driver_sql(f"INSERT INTO order_names_distinct (name) {_new_names(links)}")
    conn.execute(
        text(
            "INSERT INTO order_name_fts_distinct(rowid, name) "
            "SELECT id, name FROM order_names_distinct WHERE id > :last"
        ),
        {"last": last_name},
    )
    conn.exec_driver_sql(
        f"INSERT INTO order_names_orders (name, created_at, order_id) SELECT * FROM ({_links(links)}) ORDER BY 1, 2, 3"
    )
    conn.exec_driver_sql(f"DROP TABLE {links}")


def _links(source: str) -> str:
    """(name, created_at, order_id) for the orders of `source` (whole e-mail groups): each e-mail's names with each
    of its orders, an order without e-mail, or of a shared mailbox, with its own names (as migration 0011 links
    them)."""
    names = (
        f"SELECT email_lower, search_name AS name FROM {source} AS s WHERE email_lower <> '' AND search_name <> '' "
        f"UNION SELECT email_lower, ship_search_name FROM {source} AS s "
        "WHERE email_lower <> '' AND ship_search_name <> ''"
    )
    shared = f"SELECT email_lower FROM ({names}) AS n GROUP BY email_lower HAVING count(*) > {MAX_NAMES_PER_EMAIL}"
    own = f"(email_lower = '' OR email_lower IN ({shared}))"
    # the shared mailboxes are left out of the e-mails' names, not of the join, which would make names x orders rows
    # first; DISTINCT (a no-op) keeps SQLite from flattening this into the join and checking its WHERE there
    customers = f"SELECT DISTINCT email_lower, name FROM ({names}) AS c WHERE email_lower NOT IN ({shared})"
    return (
        f"SELECT g.name, a.created_at, a.id FROM {source} AS a JOIN ({customers}) AS g "
        "ON g.email_lower = a.email_lower "
        f"UNION SELECT search_name, created_at, id FROM {source} AS a WHERE search_name <> '' AND {own} "
        f"UNION SELECT ship_search_name, created_at, id FROM {source} AS a WHERE ship_search_name <> '' AND {own}"
    )


def _new_names(source: str) -> str:
    return (
        f"SELECT n FROM (SELECT search_name AS n FROM {source} AS s UNION SELECT ship_search_name FROM {source} AS s) "
        "AS u WHERE n <> '' AND n NOT IN (SELECT name FROM order_names_distinct) ORDER BY n"
    )
