"""name search: one index row per distinct name, the e-mail's other orders linked to it in advance

Revision ID: 0011
Revises: 0010

A name query used to match every order's billing and shipping name in a per-order index (SQLite: FTS5 with a column
filter per name; PostgreSQL: a GIN index over both names' prefixes, each hit checked name by name), then found
the other orders of each hit's e-mail. Now:

- `order_names_distinct`: each folded name (billing or shipping) once. A query's words are matched against these
  few rows, every word in the same row, so the same-name rule needs no check per order. SQLite: an FTS5 index
  `order_name_fts_distinct` over it (prefix indexes up to 5 letters); PostgreSQL: the prefix GIN index of 0001's
  `returnbot_name_prefixes`.
- `order_names_orders` (name, created_at, order_id): every order a name finds, the e-mail expansion included (an
  order is listed under every name of every order of its e-mail; an order without e-mail, or of a shared mailbox
  whose orders carry more than MAX_NAMES_PER_EMAIL names, under its own names). A name's orders are one index
  range, sorted newest last, without reading an order row.

Both are kept by triggers on `orders` that link again the orders of the e-mails a written order had and has (an
import stands aside and links what it wrote in one go, see the importer's bulk_writes.py). The per-order name
columns leave the old indexes: SQLite's `order_name_fts` keeps the phone numbers only, and its narrow
`order_names` copy goes; PostgreSQL's `order_names` keeps serving phone numbers, without its name and e-mail
indexes.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_NARROW = "id, created_at, email_lower, search_name, ship_search_name"


# An e-mail whose orders carry more names than this is a shared mailbox (a marketplace, the shop's own address), not
# one customer: its orders are linked under their own names only, else it makes names x orders links. The importer's
# MAX_NAMES_PER_EMAIL (importer/bulk_writes.py) is the same number; a migration keeps its own copy.
MAX_NAMES_PER_EMAIL = 10


def links_select(source: str) -> str:
    """(name, created_at, order_id) of every link among the orders of `source` (a table or subquery with the
    _NARROW columns, holding whole e-mail groups): each e-mail's names with each of its orders, and an order
    without e-mail, or of a shared mailbox (more than MAX_NAMES_PER_EMAIL names), with its own names. UNION, not
    UNION ALL: a name is linked to an order once."""
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


def new_names_select(source: str) -> str:
    """The names of `source`'s orders not yet in order_names_distinct, each once, sorted."""
    return (
        f"SELECT n FROM (SELECT search_name AS n FROM {source} AS s UNION SELECT ship_search_name FROM {source} AS s) "
        "AS u WHERE n <> '' AND n NOT IN (SELECT name FROM order_names_distinct) ORDER BY n"
    )


# --- SQLite ------------------------------------------------------------------------------------------------------

_SQLITE_TABLES = (
    "CREATE TABLE order_names_distinct (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE order_name_fts_distinct USING fts5(name, content='order_names_distinct', "
    "content_rowid='id', tokenize='unicode61', prefix='1 2 3 4 5')",
    # names are never changed or removed (a name no order carries any more finds no order): inserts only
    "CREATE TRIGGER order_names_distinct_ai AFTER INSERT ON order_names_distinct BEGIN "
    "INSERT INTO order_name_fts_distinct(rowid, name) VALUES (new.id, new.name); END",
    "CREATE TABLE order_names_orders (name VARCHAR(255) NOT NULL, created_at DATETIME NOT NULL, "
    "order_id INTEGER NOT NULL, PRIMARY KEY (name, created_at, order_id)) WITHOUT ROWID",
    "CREATE INDEX ix_order_names_orders_order ON order_names_orders (order_id)",
)


def _sqlite_relink(affected: str) -> str:
    """Trigger statements linking again the orders whose ids `affected` selects (whole e-mail groups). A trigger
    takes no WITH, so the orders are read through a subquery."""
    source = f"(SELECT {_NARROW} FROM orders WHERE id IN ({affected}))"
    return (
        f"DELETE FROM order_names_orders WHERE order_id IN ({affected}); "
        f"INSERT INTO order_names_distinct (name) {new_names_select(source)}; "
        f"INSERT INTO order_names_orders (name, created_at, order_id) {links_select(source)}; "
    )


# the orders of the e-mails a row had (old) and has (new), the row itself included
_GROUP_OF_NEW = "SELECT id FROM orders WHERE id = new.id OR (new.email_lower <> '' AND email_lower = new.email_lower)"
_GROUPS_OF_CHANGED = (
    "SELECT id FROM orders WHERE id = new.id "
    "OR (email_lower <> '' AND email_lower IN (old.email_lower, new.email_lower))"
)
_GROUP_OF_OLD = "SELECT id FROM orders WHERE old.email_lower <> '' AND email_lower = old.email_lower"

SQLITE_LINK_TRIGGERS = {
    "order_names_links_ai": f"CREATE TRIGGER order_names_links_ai AFTER INSERT ON orders BEGIN "
    f"{_sqlite_relink(_GROUP_OF_NEW)}END",
    "order_names_links_au": "CREATE TRIGGER order_names_links_au AFTER UPDATE OF search_name, ship_search_name, "
    f"email_lower, created_at ON orders BEGIN {_sqlite_relink(_GROUPS_OF_CHANGED)}END",
    "order_names_links_ad": "CREATE TRIGGER order_names_links_ad AFTER DELETE ON orders BEGIN "
    f"DELETE FROM order_names_orders WHERE order_id = old.id; {_sqlite_relink(_GROUP_OF_OLD)}END",
}

_SQLITE_FILL = (
    f"CREATE TEMP TABLE returnbot_name_links AS SELECT {_NARROW} FROM orders",
    f"INSERT INTO order_names_distinct (name) {new_names_select('temp.returnbot_name_links')}",
    "INSERT INTO order_name_fts_distinct(order_name_fts_distinct) VALUES ('rebuild')",
    "INSERT INTO order_names_orders (name, created_at, order_id) SELECT * FROM ("
    f"{links_select('temp.returnbot_name_links')}) ORDER BY 1, 2, 3",
    "DROP TABLE temp.returnbot_name_links",
)

_PHONE_FTS_TRIGGERS = ("orders_fts_ai", "orders_fts_ad", "orders_fts_au")


def _sqlite_phone_index(columns: tuple[str, ...], prefix: str) -> None:
    """order_name_fts over `columns` of orders (0007's shape), with its triggers, rebuilt from the orders."""
    for trigger in _PHONE_FTS_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS order_name_fts")
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE order_name_fts USING fts5({names}, "
        f"content='orders', content_rowid='id', tokenize='unicode61'{prefix})"
    )
    op.execute(
        "CREATE TRIGGER orders_fts_ai AFTER INSERT ON orders BEGIN "
        f"INSERT INTO order_name_fts(rowid, {names}) VALUES (new.id, {new}); END"
    )
    op.execute(
        "CREATE TRIGGER orders_fts_ad AFTER DELETE ON orders BEGIN "
        f"INSERT INTO order_name_fts(order_name_fts, rowid, {names}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER orders_fts_au AFTER UPDATE OF {names} ON orders BEGIN "
        f"INSERT INTO order_name_fts(order_name_fts, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO order_name_fts(rowid, {names}) VALUES (new.id, {new}); END"
    )
    op.execute("INSERT INTO order_name_fts(order_name_fts) VALUES ('rebuild')")


# 0007's narrow copy, made again on the way down
_SQLITE_ORDER_NAMES = (
    "CREATE TABLE order_names (order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE, "
    "created_at DATETIME NOT NULL, email_lower VARCHAR(320) NOT NULL)",
    "CREATE INDEX ix_order_names_email ON order_names (email_lower, created_at, order_id) WHERE email_lower <> ''",
    "CREATE TRIGGER order_names_ai AFTER INSERT ON orders BEGIN "
    "INSERT INTO order_names (order_id, created_at, email_lower) VALUES (new.id, new.created_at, new.email_lower); END",
    "CREATE TRIGGER order_names_au AFTER UPDATE OF created_at, email_lower ON orders BEGIN "
    "UPDATE order_names SET created_at = new.created_at, email_lower = new.email_lower WHERE order_id = new.id; END",
    "INSERT INTO order_names (order_id, created_at, email_lower) SELECT id, created_at, email_lower FROM orders",
)


def _sqlite_up() -> None:
    for statement in _SQLITE_TABLES + _SQLITE_FILL:
        op.execute(statement)
    for statement in SQLITE_LINK_TRIGGERS.values():
        op.execute(statement)
    # the phone numbers alone, matched whole: no prefix indexes
    _sqlite_phone_index(("phone_keys",), prefix="")
    for trigger in ("order_names_ai", "order_names_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS order_names")


def _sqlite_down() -> None:
    for trigger in (*SQLITE_LINK_TRIGGERS, "order_names_distinct_ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in ("order_names_orders", "order_name_fts_distinct", "order_names_distinct"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    _sqlite_phone_index(("search_name", "ship_search_name", "phone_keys"), prefix=", prefix='1 2 3 4 5'")
    for statement in _SQLITE_ORDER_NAMES:
        op.execute(statement)


# --- PostgreSQL ----------------------------------------------------------------------------------------------------

_PG_TABLES = (
    "CREATE TABLE order_names_distinct (name varchar(255) PRIMARY KEY)",
    "CREATE TABLE order_names_orders (name varchar(255) NOT NULL, created_at timestamptz NOT NULL, "
    "order_id integer NOT NULL, PRIMARY KEY (name, created_at, order_id))",
)
_PG_INDEXES = (
    "CREATE INDEX ix_order_names_distinct_prefixes ON order_names_distinct USING gin (returnbot_name_prefixes(name))",
    "CREATE INDEX ix_order_names_orders_order ON order_names_orders (order_id)",
)

# Links again the orders `ids` (written, or gone) and every order of their e-mails and of `emails` (the e-mails
# rewritten orders had before). The importer calls it once for everything it wrote.
_PG_LINK_FUNCTION = (
    "CREATE FUNCTION returnbot_link_order_names(ids integer[], emails text[]) RETURNS void LANGUAGE plpgsql AS $$ "
    "DECLARE affected integer[]; BEGIN "
    "affected := ARRAY(SELECT id FROM orders WHERE id = ANY(ids) UNION "
    "SELECT id FROM orders WHERE email_lower <> '' AND email_lower = ANY("
    "emails || ARRAY(SELECT email_lower FROM orders WHERE id = ANY(ids) AND email_lower <> ''))); "
    "DELETE FROM order_names_orders WHERE order_id = ANY(ids) OR order_id = ANY(affected); "
    f"WITH src AS MATERIALIZED (SELECT {_NARROW} FROM orders WHERE id = ANY(affected)) "
    f"INSERT INTO order_names_distinct (name) {new_names_select('src')} ON CONFLICT DO NOTHING; "
    f"WITH src AS MATERIALIZED (SELECT {_NARROW} FROM orders WHERE id = ANY(affected)) "
    f"INSERT INTO order_names_orders (name, created_at, order_id) {links_select('src')} ON CONFLICT DO NOTHING; "
    "END $$"
)
_PG_LINK_TRIGGER_FUNCTION = (
    "CREATE FUNCTION returnbot_link_order_names_of_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'INSERT' THEN PERFORM returnbot_link_order_names(ARRAY[NEW.id], '{}'); "
    "ELSIF TG_OP = 'DELETE' THEN PERFORM returnbot_link_order_names(ARRAY[OLD.id], ARRAY[OLD.email_lower]); "
    "ELSE PERFORM returnbot_link_order_names(ARRAY[NEW.id], ARRAY[OLD.email_lower]); END IF; "
    "RETURN NULL; END $$"
)
# an import stands aside as for order_names (0007): it links what it wrote in one call at the end
_PG_LINK_TRIGGER = (
    "CREATE TRIGGER orders_name_links AFTER INSERT OR DELETE OR UPDATE OF search_name, ship_search_name, "
    "email_lower, created_at ON orders FOR EACH ROW "
    "WHEN (current_setting('returnbot.bulk_import', true) IS DISTINCT FROM 'on') "
    "EXECUTE FUNCTION returnbot_link_order_names_of_row()"
)

_PG_FILL = (
    f"CREATE TEMP TABLE returnbot_name_fill AS SELECT {_NARROW} FROM orders",
    f"INSERT INTO order_names_distinct (name) {new_names_select('returnbot_name_fill')}",
    "INSERT INTO order_names_orders (name, created_at, order_id) "
    f"SELECT * FROM ({links_select('returnbot_name_fill')}) AS l ORDER BY 1, 2, 3",
    "DROP TABLE returnbot_name_fill",
)


def _postgres_up() -> None:
    for statement in _PG_TABLES + _PG_FILL + _PG_INDEXES:  # indexes after the fill: built once, not row by row
        op.execute(statement)
    op.execute(_PG_LINK_FUNCTION)
    op.execute(_PG_LINK_TRIGGER_FUNCTION)
    op.execute(_PG_LINK_TRIGGER)
    # order_names keeps the phone numbers (and the copy of the names, no longer searched there)
    op.execute("DROP INDEX IF EXISTS ix_order_names_prefixes")
    op.execute("DROP INDEX IF EXISTS ix_order_names_email")
    # statistics for the planner now, not when autovacuum comes to the new tables
    op.execute("ANALYZE order_names_distinct")
    op.execute("ANALYZE order_names_orders")


def _postgres_down() -> None:
    op.execute("DROP TRIGGER IF EXISTS orders_name_links ON orders")
    op.execute("DROP FUNCTION IF EXISTS returnbot_link_order_names_of_row()")
    op.execute("DROP FUNCTION IF EXISTS returnbot_link_order_names(integer[], text[])")
    op.execute("DROP TABLE IF EXISTS order_names_orders")
    op.execute("DROP TABLE IF EXISTS order_names_distinct")
    op.execute(
        "CREATE INDEX ix_order_names_prefixes ON order_names "
        "USING gin (returnbot_name_prefixes(search_name || ' ' || ship_search_name))"
    )
    op.execute(
        "CREATE INDEX ix_order_names_email ON order_names (email_lower, created_at, order_id) WHERE email_lower <> ''"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_up()
    else:
        _postgres_up()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_down()
    else:
        _postgres_down()
