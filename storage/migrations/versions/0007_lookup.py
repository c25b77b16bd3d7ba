"""lookup: phone numbers and ship-to names as search keys

Revision ID: 0007
Revises: 0006

Orders get `ship_search_name` (the folded shipping name when it is another person's: a gift's recipient) and
`phone_keys` (the order's phone numbers in E.164 without the +, space-separated). The hand-made name index of
0001 grows to hold them, kept up by the same kind of triggers:

- SQLite: the FTS5 table `order_name_fts` gets the columns `ship_search_name` and `phone_keys` (a name query
  says which column each word must be in, so a billing first name and a shipping surname do not make a match),
  and a narrow `order_names` copy of (id, created_at, email_lower) like PostgreSQL's, kept by triggers.
- PostgreSQL: the narrow `order_names` copy gets them too, with `email_lower` (a name search also finds the other
  orders of the same e-mail, read there without touching the wide order rows). One GIN index over the prefixes
  of both names, one over the phone numbers (an array), one b-tree over (email_lower, created_at). Its trigger
  stands aside while an import runs (`SET LOCAL returnbot.bulk_import = 'on'`): the import fills the copy
  in one statement at the end instead of one trigger call per order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FTS_TRIGGERS = ("orders_fts_ai", "orders_fts_ad", "orders_fts_au")

# SQLite: the narrow (id, created_at, e-mail) of every order, as PostgreSQL's order_names has them: the index's hits
# are sorted and their e-mails' other orders found here, on a few dense pages, not on a wide order row each
SQLITE_ORDER_NAMES = (
    "CREATE TABLE order_names (order_id INTEGER PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE, "
    "created_at DATETIME NOT NULL, email_lower VARCHAR(320) NOT NULL)",
    "CREATE INDEX ix_order_names_email ON order_names (email_lower, created_at, order_id) WHERE email_lower <> ''",
    "CREATE TRIGGER order_names_ai AFTER INSERT ON orders BEGIN "
    "INSERT INTO order_names (order_id, created_at, email_lower) VALUES (new.id, new.created_at, new.email_lower); END",
    "CREATE TRIGGER order_names_au AFTER UPDATE OF created_at, email_lower ON orders BEGIN "
    "UPDATE order_names SET created_at = new.created_at, email_lower = new.email_lower WHERE order_id = new.id; END",
    "INSERT INTO order_names (order_id, created_at, email_lower) SELECT id, created_at, email_lower FROM orders",
)


def upgrade() -> None:
    op.add_column("orders", sa.Column("ship_search_name", sa.String(length=255), server_default="", nullable=False))
    op.add_column("orders", sa.Column("phone_keys", sa.String(length=64), server_default="", nullable=False))
    # the export's "Note Attributes" (gift messages, delivery wishes), one "key: value" a line: the order card's
    op.add_column("orders", sa.Column("note_attributes", sa.Text(), server_default="", nullable=False))
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_index(("search_name", "ship_search_name", "phone_keys"))
        for statement in SQLITE_ORDER_NAMES:
            op.execute(statement)
    else:
        _postgres_up()


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the index and its triggers name the columns: they go first, and come back without them
        for trigger in _FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS order_name_fts")
        for trigger in ("order_names_ai", "order_names_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS order_names")
    else:
        _postgres_down()
    # a plain DROP COLUMN (SQLite has it since 3.35): the wide orders table is not copied for it
    op.drop_column("orders", "note_attributes")
    # (a batch copy of `orders` would drop the table, and with it, foreign keys cascading, every line item)
    op.drop_column("orders", "phone_keys")
    op.drop_column("orders", "ship_search_name")
    if sqlite:
        _sqlite_index(("search_name",))


def _sqlite_index(columns: tuple[str, ...]) -> None:
    """The FTS5 index over `columns` of orders, with its triggers, rebuilt from the orders."""
    for trigger in _FTS_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS order_name_fts")
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE order_name_fts USING fts5({names}, "
        "content='orders', content_rowid='id', tokenize='unicode61', prefix='1 2 3 4 5')"
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


def _postgres_up() -> None:
    op.execute("DROP TRIGGER IF EXISTS orders_name_sync ON orders")
    op.execute("DROP INDEX IF EXISTS ix_order_names_prefixes")
    op.execute(
        "ALTER TABLE order_names "
        "ADD COLUMN ship_search_name varchar(255) NOT NULL DEFAULT '', "
        "ADD COLUMN email_lower varchar(320) NOT NULL DEFAULT '', "
        "ADD COLUMN phones text[] NOT NULL DEFAULT '{}'"
    )
    op.execute(
        "UPDATE order_names n SET ship_search_name = o.ship_search_name, email_lower = o.email_lower, "
        "phones = string_to_array(o.phone_keys, ' ') FROM orders o WHERE o.id = n.order_id"
    )
    op.execute(
        "CREATE INDEX ix_order_names_prefixes ON order_names "
        "USING gin (returnbot_name_prefixes(search_name || ' ' || ship_search_name))"
    )
    op.execute("CREATE INDEX ix_order_names_phones ON order_names USING gin (phones)")
    op.execute(
        "CREATE INDEX ix_order_names_email ON order_names (email_lower, created_at, order_id) WHERE email_lower <> ''"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION returnbot_sync_order_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO order_names (order_id, created_at, search_name, ship_search_name, email_lower, phones) "
        "VALUES (NEW.id, NEW.created_at, NEW.search_name, NEW.ship_search_name, NEW.email_lower, "
        "string_to_array(NEW.phone_keys, ' ')) "
        "ON CONFLICT (order_id) DO UPDATE SET created_at = EXCLUDED.created_at, "
        "search_name = EXCLUDED.search_name, ship_search_name = EXCLUDED.ship_search_name, "
        "email_lower = EXCLUDED.email_lower, phones = EXCLUDED.phones; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER orders_name_sync AFTER INSERT OR UPDATE OF search_name, ship_search_name, phone_keys, "
        "email_lower, created_at ON orders FOR EACH ROW "
        "WHEN (current_setting('returnbot.bulk_import', true) IS DISTINCT FROM 'on') "
        "EXECUTE FUNCTION returnbot_sync_order_name()"
    )


def _postgres_down() -> None:
    op.execute("DROP TRIGGER IF EXISTS orders_name_sync ON orders")
    op.execute("DROP INDEX IF EXISTS ix_order_names_email")
    op.execute("DROP INDEX IF EXISTS ix_order_names_phones")
    op.execute("DROP INDEX IF EXISTS ix_order_names_prefixes")
    op.execute("ALTER TABLE order_names DROP COLUMN phones, DROP COLUMN email_lower, DROP COLUMN ship_search_name")
    op.execute("CREATE INDEX ix_order_names_prefixes ON order_names USING gin (returnbot_name_prefixes(search_name))")
    op.execute(
        "CREATE OR REPLACE FUNCTION returnbot_sync_order_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO order_names (order_id, created_at, search_name) "
        "VALUES (NEW.id, NEW.created_at, NEW.search_name) "
        "ON CONFLICT (order_id) DO UPDATE "
        "SET created_at = EXCLUDED.created_at, search_name = EXCLUDED.search_name; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER orders_name_sync AFTER INSERT OR UPDATE OF search_name, created_at ON orders "
        "FOR EACH ROW EXECUTE FUNCTION returnbot_sync_order_name()"
    )
