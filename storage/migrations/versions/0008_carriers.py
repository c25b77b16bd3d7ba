"""carriers: the chosen carrier and drop-off point, the booking intent, the carrier's reference and QR code

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _case_columns() -> tuple[sa.Column, ...]:  # type: ignore[type-arg]
    """Fresh columns each time: a Column belongs to the table it was added to (a test goes down and up again)."""
    return (
        sa.Column("carrier", sa.String(length=32), server_default="", nullable=False),
        sa.Column("service_point_id", sa.String(length=128), server_default="", nullable=False),
        sa.Column("service_points", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("booking", sa.String(length=16), server_default="", nullable=False),
        sa.Column("booking_at", sa.DateTime(timezone=True), nullable=True),
    )


def _label_columns() -> tuple[sa.Column, ...]:  # type: ignore[type-arg]
    return (
        sa.Column("reference", sa.String(length=128), server_default="", nullable=False),
        sa.Column("qr_code", sa.Text(), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("void_note", sa.Text(), server_default="", nullable=False),
    )


def upgrade() -> None:
    # plain ADD COLUMN with a default works in place on both databases: no batch copy
    for column in _case_columns():
        op.add_column("return_cases", column)
    for column in _label_columns():
        op.add_column("labels", column)


def downgrade() -> None:
    with op.batch_alter_table("labels") as batch_op:
        for column in reversed(_label_columns()):
            batch_op.drop_column(column.name)
    with op.batch_alter_table("return_cases") as batch_op:
        for column in reversed(_case_columns()):
            batch_op.drop_column(column.name)
