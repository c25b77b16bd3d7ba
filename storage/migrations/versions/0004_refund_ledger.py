"""refund ledger: what the bot refunded, per line, per order and per idempotency key

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Money: exact NUMERIC on PostgreSQL; text on SQLite, which has no decimal type (see storage.types.Amount)
AMOUNT = sa.String(40).with_variant(sa.Numeric(18, 4), "postgresql")


def upgrade() -> None:
    # plain ADD COLUMN on both databases: `orders` must never be rebuilt by a SQLite batch copy, which would
    # drop the name-search triggers of 0001 with the old table
    op.add_column("orders", sa.Column("refunded_shipping", AMOUNT, server_default="0", nullable=False))
    op.add_column("line_items", sa.Column("refunded_quantity", sa.Integer(), server_default="0", nullable=False))

    # SQLite cannot add a UNIQUE column in place: these two tables (no triggers) are copied by batch mode there
    with op.batch_alter_table("order_transactions") as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_order_transactions_idempotency_key", ["idempotency_key"])
    with op.batch_alter_table("refund_requests") as batch_op:
        batch_op.add_column(sa.Column("transactions", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column("submission_key", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint("uq_refund_requests_submission_key", ["submission_key"])
        batch_op.add_column(
            sa.Column("slack_approval_channel", sa.String(length=64), server_default="", nullable=False)
        )
    # until now the approval message was posted in the request's own channel
    op.execute("UPDATE refund_requests SET slack_approval_channel = slack_channel WHERE slack_approval_ts <> ''")

    op.add_column("audit_events", sa.Column("order_name", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_events_order_name", "audit_events", ["order_name"])
    _backfill_audit_order_names()


def _backfill_audit_order_names() -> None:
    """Events recorded before this revision get the order they name, as storage.audit.order_of finds it."""
    if op.get_bind().dialect.name == "sqlite":
        detail = "trim(json_extract(details, '$.order'))"
    else:
        detail = "trim(details ->> 'order')"
    from_subject = "trim(substr(subject, 7))"  # after "order:"
    op.execute(
        "UPDATE audit_events SET order_name = CASE "
        f"WHEN {detail} <> '' THEN substr({detail}, 1, 64) "
        f"WHEN subject LIKE 'order:%' AND {from_subject} <> '' THEN substr({from_subject}, 1, 64) END"
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_order_name", table_name="audit_events")
    op.drop_column("audit_events", "order_name")
    with op.batch_alter_table("refund_requests") as batch_op:
        batch_op.drop_column("slack_approval_channel")
        batch_op.drop_constraint("uq_refund_requests_submission_key", type_="unique")
        batch_op.drop_column("submission_key")
        batch_op.drop_column("transactions")
    with op.batch_alter_table("order_transactions") as batch_op:
        batch_op.drop_constraint("uq_order_transactions_idempotency_key", type_="unique")
        batch_op.drop_column("idempotency_key")
    # plain DROP COLUMN (SQLite 3.35+), for the same reason as in upgrade: no batch copy of `orders`
    op.drop_column("line_items", "refunded_quantity")
    op.drop_column("orders", "refunded_shipping")
