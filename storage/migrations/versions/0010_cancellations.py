"""order cancellations

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Money: exact NUMERIC on PostgreSQL; text on SQLite, which has no decimal type (see storage.types.Amount)
AMOUNT = sa.String(40).with_variant(sa.Numeric(18, 4), "postgresql")


def upgrade() -> None:
    # one row per order: an order is cancelled once; a failed or rejected attempt is planned again in place
    op.create_table(
        "cancellations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("order_name", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("refund_method", sa.String(length=16), nullable=False),
        sa.Column("restock", sa.Boolean(), nullable=False),
        sa.Column("notify_customer", sa.Boolean(), nullable=False),
        sa.Column("staff_note", sa.String(length=255), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("refunded_before", AMOUNT, nullable=True),
        sa.Column("refunded", AMOUNT, nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("plan_no", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("approval_request_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.String(length=128), nullable=False),
        sa.Column("labels_voided", sa.JSON(), nullable=False),
        sa.Column("failure", sa.Text(), nullable=False),
        sa.Column("submission_key", sa.String(length=128), nullable=True),
        sa.Column("slack_channel", sa.String(length=64), nullable=False),
        sa.Column("slack_thread_ts", sa.String(length=32), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("card_drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store", "order_id", name="uq_cancellations_order"),
        sa.UniqueConstraint("submission_key"),
    )
    op.create_index("ix_cancellations_status_updated", "cancellations", ["status", "updated_at"])
    op.create_index("ix_cancellations_finished_at", "cancellations", ["finished_at"])


def downgrade() -> None:
    op.drop_table("cancellations")
