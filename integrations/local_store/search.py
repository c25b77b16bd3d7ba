"""Which local orders a query matches, as SQL over the narrow search structures (migrations 0001 and 0007).

A name matches the customer's (billing) name or the shipping name, every typed word the start of a word of the
same name: the recipient of a gift is found by their own name. It also matches every other order of an e-mail
any of whose orders carries the name: the customer is the e-mail, and an export leaves the name off some of
their orders. A phone number (E.164) matches any of the order's Phone, Billing Phone and Shipping Phone.

SQLite: one FTS5 table over the orders' search_name, ship_search_name and phone_keys. PostgreSQL: `order_names`,
a narrow copy of (id, created_at, names, e-mail, phones) with GIN indexes, where the newest matches are sorted
without reading a wide order row. A name that matches very many orders (one letter) reads at most HITS_CAP of
them: counted, and the newest of them listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import TextualSelect, text

from domain.money import Money
from domain.orders import FinancialStatus, FulfillmentStatus, OrderQuery, OrderRef, OrderSummary, SearchKind
from domain.text import words_start
from storage.db import Database
from storage.models import AddressRow, OrderRow

HITS_CAP = 10_000  # name-index hits read for one query, at most
PREFIX_KEY_LENGTH = 6  # PostgreSQL's name index holds each word's prefixes up to this length (0001)


@dataclass(frozen=True)
class Matches:
    """SQL selecting the `id` of every matching order (in no order), and its parameters. `newest` selects the
    `limit` newest of them where the database can sort them in the narrow table (PostgreSQL), else None."""

    sql: str
    params: dict[str, Any]
    newest: str | None = None


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
    # every word is a prefix ("jani berz" finds "janis berzins"), all of them in the same name; quoting keeps
    # FTS syntax out (words are [a-z0-9]+ after folding anyway). The hits are sorted, and their e-mails' other
    # orders found, in the narrow order_names copy (migration 0007), never on a wide order row each.
    words = " AND ".join(f'"{w}"*' for w in folded.split())
    match = f"search_name : ({words}) OR ship_search_name : ({words})"
    matched = (
        "WITH hits(id) AS (SELECT rowid FROM order_name_fts WHERE order_name_fts MATCH :match "
        "ORDER BY rowid DESC LIMIT :cap), "
        "found AS (SELECT n.order_id, n.created_at, n.email_lower FROM order_names AS n "
        "JOIN hits ON n.order_id = hits.id), "
        "matched AS (SELECT order_id, created_at FROM found UNION "
        "SELECT e.order_id, e.created_at FROM order_names AS e WHERE e.email_lower <> '' AND e.email_lower IN "
        "(SELECT email_lower FROM found WHERE email_lower <> ''))"
    )
    return Matches(
        f"{matched} SELECT order_id AS id FROM matched",
        {"match": match, "cap": HITS_CAP},
        newest=f"{matched} SELECT order_id FROM matched ORDER BY created_at DESC, order_id DESC LIMIT :limit",
    )


def _postgres_name(folded: str) -> Matches:
    words = folded.split()
    # exact keys of the prefix index find the candidates; each is then checked name by name (a billing first name
    # and a shipping surname are no match), with words longer than the index's keys as prefixes
    keys = " & ".join(w[:PREFIX_KEY_LENGTH] for w in words)
    prefixes = " & ".join(f"{w}:*" for w in words)
    in_one_name = (
        "(to_tsvector('simple'::regconfig, search_name) @@ to_tsquery('simple', :prefixes) "
        "OR to_tsvector('simple'::regconfig, ship_search_name) @@ to_tsquery('simple', :prefixes))"
    )
    if all(len(w) <= PREFIX_KEY_LENGTH for w in words):
        in_one_name = f"(ship_search_name = '' OR {in_one_name})"  # one name, every word an exact key: matched
    hits = (
        "SELECT order_id, created_at, email_lower FROM order_names "
        "WHERE returnbot_name_prefixes(search_name || ' ' || ship_search_name) @@ to_tsquery('simple', :keys) "
        f"AND {in_one_name} LIMIT :cap"
    )
    matched = (
        f"WITH hits AS MATERIALIZED ({hits}), matched AS ("
        "SELECT order_id, created_at FROM hits UNION "
        "SELECT n.order_id, n.created_at FROM order_names AS n WHERE n.email_lower <> '' AND n.email_lower IN "
        "(SELECT email_lower FROM hits WHERE email_lower <> ''))"
    )
    return Matches(
        f"{matched} SELECT order_id AS id FROM matched",
        {"keys": keys, "prefixes": prefixes, "cap": HITS_CAP},
        newest=f"{matched} SELECT order_id FROM matched ORDER BY created_at DESC, order_id DESC LIMIT :limit",
    )


_SUMMARY = (
    "SELECT o.id, o.name, o.customer_name, o.email, o.created_at, o.total, o.currency, o.financial_status, "
    "o.fulfillment_status, o.cancelled_at, a.name AS ship_name FROM orders AS o "
    "LEFT JOIN order_addresses AS a ON a.order_id = o.id AND a.kind = 'shipping' "
)


def find_orders(db: Database, query: OrderQuery, limit: int) -> list[OrderSummary]:
    """The `limit` newest matching orders, newest first, in one statement."""
    found = matches(query, db.dialect)
    ids = found.newest if found.newest is not None else found.sql
    sql = f"{_SUMMARY} WHERE o.id IN ({ids}) ORDER BY o.created_at DESC, o.id DESC LIMIT :limit"
    with db.session() as session:
        rows = session.execute(_typed(sql), {**found.params, "limit": limit}).all()
    return [_summary(row, query) for row in rows]


def count_orders(db: Database, query: OrderQuery, cap: int) -> int:
    found = matches(query, db.dialect)
    sql = f"SELECT count(*) FROM ({found.sql} LIMIT :count_cap) AS m"
    with db.session() as session:
        return int(session.execute(_text(sql), {**found.params, "count_cap": cap}).scalar_one())


_text = lru_cache(maxsize=64)(text)  # the statements are few: each parsed for its parameters once


@lru_cache(maxsize=64)
def _typed(sql: str) -> TextualSelect:
    """Result columns through the models' types: amounts as Decimal, times as aware UTC datetimes."""
    return text(sql).columns(
        OrderRow.id, OrderRow.name, OrderRow.customer_name, OrderRow.email, OrderRow.created_at, OrderRow.total,
        OrderRow.currency, OrderRow.financial_status, OrderRow.fulfillment_status, OrderRow.cancelled_at,
        AddressRow.name.label("ship_name"),
    )  # fmt: skip


def _summary(row: Any, query: OrderQuery) -> OrderSummary:
    ship_name = row.ship_name or ""
    ship_to = ""
    if (
        query.kind is SearchKind.NAME
        and ship_name
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
