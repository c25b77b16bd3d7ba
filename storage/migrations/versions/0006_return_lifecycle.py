"""return lifecycle: the receipt, snoozes, the finished Slack steps, tracking polls, the local carrier's scans

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _case_columns() -> tuple[sa.Column, ...]:  # type: ignore[type-arg]
    """Fresh columns each time: a Column belongs to the table it was added to (a test goes down and up again)."""
    return (
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("received_source", sa.String(length=16), server_default="", nullable=False),
        sa.Column("receipt", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("receipt_note", sa.Text(), server_default="", nullable=False),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("slack_reminder_ts", sa.String(length=32), server_default="", nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=True),
    )


def upgrade() -> None:
    # plain ADD COLUMN (nullable, or with a default) works in place on both databases: no batch copy
    for column in _case_columns():
        op.add_column("return_cases", column)
    # cases made before this revision went through their Slack steps (or were retried by hand): none is resumed
    op.execute("UPDATE return_cases SET finished_at = updated_at WHERE status <> 'requested'")
    op.add_column("labels", sa.Column("tracked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_labels_status_tracked", "labels", ["status", "tracked_at"])
    op.create_table(
        "carrier_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_carrier_scans_tracking_number", "carrier_scans", ["tracking_number"])


def downgrade() -> None:
    op.drop_table("carrier_scans")
    op.drop_index("ix_labels_status_tracked", table_name="labels")
    with op.batch_alter_table("labels") as batch_op:
        batch_op.drop_column("tracked_at")
    with op.batch_alter_table("return_cases") as batch_op:
        for column in reversed(_case_columns()):
            batch_op.drop_column(column.name)
