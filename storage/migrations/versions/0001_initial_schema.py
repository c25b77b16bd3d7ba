"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Money: exact NUMERIC on PostgreSQL; text on SQLite, which has no decimal type (see storage.types.Amount)
AMOUNT = sa.String(40).with_variant(sa.Numeric(18, 4), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_subject"), ["subject"], unique=False)

    op.create_table(
        "operations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_lower", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("customer_name", sa.String(length=255), nullable=False),
        sa.Column("search_name", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", AMOUNT, nullable=False),
        sa.Column("shipping", AMOUNT, nullable=False),
        sa.Column("taxes", AMOUNT, nullable=False),
        sa.Column("discount", AMOUNT, nullable=False),
        sa.Column("total", AMOUNT, nullable=False),
        sa.Column("refunded", AMOUNT, nullable=False),
        sa.Column("outstanding", AMOUNT, nullable=False),
        sa.Column("financial_status", sa.String(length=32), nullable=False),
        sa.Column("fulfillment_status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipping_method", sa.String(length=255), nullable=False),
        sa.Column("payment_method", sa.String(length=255), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_email_lower"), ["email_lower"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_number"), ["number"], unique=False)

    op.create_table(
        "fulfillments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("tracking_company", sa.String(length=128), nullable=False),
        sa.Column("tracking_url", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fulfillments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fulfillments_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fulfillments_tracking_number"), ["tracking_number"], unique=False)

    op.create_table(
        "order_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("company", sa.String(length=255), nullable=False),
        sa.Column("address1", sa.String(length=255), nullable=False),
        sa.Column("address2", sa.String(length=255), nullable=False),
        sa.Column("city", sa.String(length=255), nullable=False),
        sa.Column("zip", sa.String(length=32), nullable=False),
        sa.Column("province", sa.String(length=255), nullable=False),
        sa.Column("country", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "kind"),
    )
    op.create_table(
        "order_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gateway", sa.String(length=128), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_transactions_order_id"), ["order_id"], unique=False)

    op.create_table(
        "line_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price", AMOUNT, nullable=False),
        sa.Column("compare_at_price", AMOUNT, nullable=True),
        sa.Column("discount", AMOUNT, nullable=False),
        sa.Column("requires_shipping", sa.Boolean(), nullable=False),
        sa.Column("taxable", sa.Boolean(), nullable=False),
        sa.Column("fulfillment_status", sa.String(length=32), nullable=False),
        sa.Column("vendor", sa.String(length=255), nullable=False),
        sa.Column("fulfillment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["fulfillment_id"], ["fulfillments.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("line_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_items_order_id"), ["order_id"], unique=False)

    _create_name_search()


def _create_name_search() -> None:
    """Customer-name search: token-prefix matching on the folded name, never a table scan.

    SQLite: an FTS5 index kept in step with `orders` by triggers; prefix indexes up to 5 letters make
    `berz*` a single index lookup instead of a merge of every word starting with it.
    PostgreSQL: a GIN index over every 1-6 letter prefix of each word, so that a typed word (cut to 6
    letters) is one exact index key; a `:*` prefix query on a plain tsvector walked every matching key
    (measured at 1M orders: 16 ms p95 for partial names, against 2-3 ms with exact prefix keys). The index
    sits on `order_names`, a narrow copy of (id, created_at, name) kept by a trigger: its pages stay in
    memory where the wide order rows would not, and the newest matches are sorted there.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE order_name_fts USING fts5("
            "search_name, content='orders', content_rowid='id', tokenize='unicode61', prefix='1 2 3 4 5')"
        )
        op.execute(
            "CREATE TRIGGER orders_fts_ai AFTER INSERT ON orders BEGIN "
            "INSERT INTO order_name_fts(rowid, search_name) VALUES (new.id, new.search_name); END"
        )
        op.execute(
            "CREATE TRIGGER orders_fts_ad AFTER DELETE ON orders BEGIN "
            "INSERT INTO order_name_fts(order_name_fts, rowid, search_name) "
            "VALUES ('delete', old.id, old.search_name); END"
        )
        op.execute(
            "CREATE TRIGGER orders_fts_au AFTER UPDATE OF search_name ON orders BEGIN "
            "INSERT INTO order_name_fts(order_name_fts, rowid, search_name) "
            "VALUES ('delete', old.id, old.search_name); "
            "INSERT INTO order_name_fts(rowid, search_name) VALUES (new.id, new.search_name); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION returnbot_name_prefixes(name text) RETURNS tsvector "
            "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
            "SELECT coalesce(array_to_tsvector(array_agg(DISTINCT left(word, n))), ''::tsvector) "
            "FROM unnest(string_to_array(name, ' ')) AS word, generate_series(1, least(6, length(word))) AS n "
            "WHERE word <> '' $$"
        )
        op.execute(
            "CREATE TABLE order_names ("
            "order_id integer PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE, "
            "created_at timestamptz NOT NULL, search_name varchar(255) NOT NULL)"
        )
        op.execute(
            "CREATE INDEX ix_order_names_prefixes ON order_names USING gin (returnbot_name_prefixes(search_name))"
        )
        op.execute(
            "CREATE FUNCTION returnbot_sync_order_name() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
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


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("orders_fts_ai", "orders_fts_ad", "orders_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS order_name_fts")
    else:
        op.execute("DROP TRIGGER IF EXISTS orders_name_sync ON orders")
        op.execute("DROP FUNCTION IF EXISTS returnbot_sync_order_name()")
        op.execute("DROP TABLE IF EXISTS order_names")
        op.execute("DROP FUNCTION IF EXISTS returnbot_name_prefixes(text)")
    for table in (
        "line_items",
        "order_transactions",
        "order_addresses",
        "fulfillments",
        "orders",
        "operations",
        "audit_events",
    ):
        op.drop_table(table)
