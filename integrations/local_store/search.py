"""Which local orders a query matches, as SQL over the narrow search structures (migrations 0001, 0007 and 0011).

A name matches the customer's (billing) name or the shipping name, every typed word the start of a word of the
same name: the recipient of a gift is found by their own name. It also matches every other order of an e-mail
any of whose orders carries the name: the customer is the e-mail, and an export leaves the name off some of
their orders. Not so for an e-mail whose orders carry more than MAX_NAMES_PER_EMAIL names (the importer's, 10): a
shared mailbox (a marketplace, the shop's own address) is not one customer, so its orders are found by their own
names only. A phone number (E.164) matches any of the order's Phone, Billing Phone and Shipping Phone.

A name query is matched against each distinct folded name once (migration 0011: `order_names_distinct`, indexed by
FTS5 on SQLite and by the prefix GIN index on PostgreSQL), one index row per name, so every word is in the same
name without a check per order. `order_names_orders` links each name to every order of every e-mail that carries
it (and an order without e-mail, or of a shared mailbox, to its own names), so the e-mail expansion is done when
orders are written, and the newest matches are sorted on those narrow rows without reading a wide order row. A name
that matches very many orders (one letter) reads at most HITS_CAP links: counted, and the newest of them listed.

Phone numbers: SQLite's FTS5 table `order_name_fts` over the orders' phone_keys; PostgreSQL's `order_names`, a narrow
copy of (id, created_at, phones) with a GIN index. The statements run on the driver's connection (see detail.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from domain.money import Money
from domain.orders import FinancialStatus, FulfillmentStatus, OrderQuery, OrderRef, OrderSummary, SearchKind
from domain.text import words_start
from integrations.local_store import detail
from storage.db import Database
from storage.models import AddressRow, OrderRow

HITS_CAP = 10_000  # name-index hits read for one query, at most
PREFIX_KEY_LENGTH = 6  # PostgreSQL's name index holds each word's prefixes up to this length (0001)


@dataclass(frozen=True)
class Matches:
    """SQL selecting the `id` of every matching order (in no order), and its parameters. `newest` selects the
    `limit` newest of them where the database can sort them in the narrow table, else None. `count` (names) selects
    how many link rows were read and how many orders (at most :count_cap) they name."""

    sql: str
    params: dict[str, Any]
    newest: str | None = None
    count: str | None = None


def matches(query: OrderQuery, dialect: str) -> Matches:
    sqlite = dialect == "sqlite"
    match query.kind:
        case SearchKind.NUMBER:
            return Matches("SELECT id FROM orders WHERE number = :number", {"number": int(query.value)})
        case SearchKind.EMAIL:
            return Matches("SELECT id FROM orders WHERE email_lower = :email", {"email": query.value})
        case SearchKind.TRACKING:
            return Matches(
                "SELECT order_id AS id FROM fulfillments WHERE tracking_number = :tracking", {"tracking": query.value}
            )
        case SearchKind.PHONE:
            key = query.value.removeprefix("+")  # digits alone: one word of the index
            if sqlite:
                return Matches(
                    "SELECT rowid AS id FROM order_name_fts WHERE order_name_fts MATCH :match",
                    {"match": f'phone_keys : "{key}"'},
                )
            found = "SELECT order_id, created_at FROM order_names WHERE phones @> ARRAY[CAST(:phone AS text)]"
            return Matches(
                f"SELECT order_id AS id FROM ({found}) AS p",
                {"phone": key},
                newest=f"SELECT order_id FROM ({found}) AS p ORDER BY created_at DESC, order_id DESC LIMIT :limit",
            )
        case SearchKind.NAME:
            return _sqlite_name(query.value) if sqlite else _postgres_name(query.value)


def _sqlite_name(folded: str) -> Matches:
    # every word is a prefix ("jani berz" finds "janis berzins"), all of them in the same name: one FTS5 row is one
    # name. Quoting keeps FTS syntax out (words are [a-z0-9]+ after folding anyway).
    words = " AND ".join(f'"{w}"*' for w in folded.split())
    names = (
        "SELECT name FROM order_names_distinct WHERE id IN (SELECT rowid FROM order_name_fts_distinct "
        "WHERE order_name_fts_distinct MATCH :match)"
    )
    return _linked(names, {"match": words})


def _postgres_name(folded: str) -> Matches:
    words = folded.split()
    # the typed words, cut to the prefix index's key length, are exact keys: one row is one name, so a row with
    # every key is a match, unless a word is longer than the keys (then it is checked as a prefix)
    keys = " & ".join(w[:PREFIX_KEY_LENGTH] for w in words)
    names = "SELECT name FROM order_names_distinct WHERE returnbot_name_prefixes(name) @@ to_tsquery('simple', :keys)"
    params = {"keys": keys}
    if any(len(w) > PREFIX_KEY_LENGTH for w in words):
        names += " AND to_tsvector('simple'::regconfig, name) @@ to_tsquery('simple', :prefixes)"
        params["prefixes"] = " & ".join(f"{w}:*" for w in words)
    return _linked(names, params, postgres=True)


def _linked(names: str, params: dict[str, Any], postgres: bool = False) -> Matches:
    """The orders linked to the names `names` selects (migration 0011: each e-mail's orders are linked to every
    name of any of them), read from the narrow link rows, at most HITS_CAP of them: one index range per name.
    PostgreSQL reads them name by name (a LATERAL subquery with its own LIMIT, which the planner cannot flatten
    into a join): with a guess of how many names match, it would rather hash-join the whole link table."""
    if postgres:
        links = (
            f"SELECT l.order_id, l.created_at FROM ({names}) AS d CROSS JOIN LATERAL "
            "(SELECT order_id, created_at FROM order_names_orders WHERE name = d.name LIMIT :cap) AS l LIMIT :cap"
        )
        hits = f"WITH hits AS MATERIALIZED ({links})"
    else:
        hits = f"WITH hits AS (SELECT order_id, created_at FROM order_names_orders WHERE name IN ({names}) LIMIT :cap)"
    return Matches(
        f"{hits} SELECT DISTINCT order_id AS id FROM hits",
        {**params, "cap": HITS_CAP},
        newest=f"{hits} SELECT order_id FROM (SELECT DISTINCT order_id, created_at FROM hits "
        "ORDER BY created_at DESC, order_id DESC LIMIT :limit) AS n",
        count=f"{hits} SELECT (SELECT count(*) FROM hits), "
        "(SELECT count(*) FROM (SELECT DISTINCT order_id FROM hits LIMIT :count_cap) AS m)",
    )


_SUMMARY = (
    "SELECT o.id, o.name, o.customer_name, o.email, o.created_at, o.total, o.currency, o.financial_status, "
    "o.fulfillment_status, o.cancelled_at, a.name AS ship_name FROM orders AS o "
    "LEFT JOIN order_addresses AS a ON a.order_id = o.id AND a.kind = 'shipping' "
)


def find_orders(db: Database, query: OrderQuery, limit: int) -> list[OrderSummary]:
    """The `limit` newest matching orders, newest first, in one statement (on the driver's connection, as
    detail.py reads an order: at a few rows, SQLAlchemy's session and result machinery cost more than the query)."""
    found = matches(query, db.dialect)
    ids = found.newest if found.newest is not None else found.sql
    sql = f"{_SUMMARY} WHERE o.id IN ({ids}) ORDER BY o.created_at DESC, o.id DESC LIMIT :limit"
    description, rows = detail.query(db, sql, {**found.params, "limit": limit})
    read = detail.reader(_SUMMARY_COLUMNS, _SUMMARY_NAMES, db.engine.dialect, description)
    return [_summary(row, query) for row in read(rows)]


def count_orders(db: Database, query: OrderQuery, cap: int) -> int:
    found = matches(query, db.dialect)
    if found.count is None:
        sql = f"SELECT count(*) FROM ({found.sql} LIMIT :count_cap) AS m"
        _description, rows = detail.query(db, sql, {**found.params, "count_cap": cap})
        return int(rows[0][0])
    _description, rows = detail.query(db, found.count, {**found.params, "count_cap": cap})
    links, orders = rows[0]
    # HITS_CAP links read and more left: more orders match than were counted, as many as the caller counts to
    return cap if links >= HITS_CAP else int(orders)


# what _SUMMARY selects, read through the models' types: amounts as Decimal, times as aware UTC datetimes
_SUMMARY_COLUMNS: list[ColumnElement[Any]] = [
    OrderRow.__table__.c[name]
    for name in ("id", "name", "customer_name", "email", "created_at", "total", "currency", "financial_status",
                 "fulfillment_status", "cancelled_at")
] + [AddressRow.__table__.c["name"]]  # fmt: skip
_SUMMARY_NAMES = [*(c.name for c in _SUMMARY_COLUMNS[:-1]), "ship_name"]


def _summary(row: Any, query: OrderQuery) -> OrderSummary:
    ship_name = row.ship_name or ""
    ship_to = ""
    if (
        query.kind is SearchKind.NAME
        and ship_name
        and ship_name != row.customer_name  # the same person (most orders): no need to fold the names
        and not words_start(query.value, row.customer_name)
        and words_start(query.value, ship_name)
    ):
        ship_to = ship_name
    return OrderSummary(
        ref=OrderRef(str(row.id), row.name),
        customer_name=row.customer_name,
        email=row.email,
        created_at=row.created_at,
        total=Money(row.total, row.currency),
        financial_status=FinancialStatus.parse(row.financial_status),
        fulfillment_status=FulfillmentStatus.parse(row.fulfillment_status),
        cancelled=row.cancelled_at is not None,
        ship_to=ship_to,
    )
