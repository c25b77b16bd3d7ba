"""replacements and exchanges; kinds of approval requests

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # an approval request asks for a refund, a replacement or a cancellation: one machinery, told apart by kind
    with op.batch_alter_table("refund_requests") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="refund", nullable=False))
        batch_op.add_column(sa.Column("details", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column("result", sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    # a return's exchanges (the new variant per item) and the replacement request that ships them
    with op.batch_alter_table("return_cases") as batch_op:
        batch_op.add_column(sa.Column("exchange", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column("exchange_request_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("return_cases") as batch_op:
        batch_op.drop_column("exchange_request_id")
        batch_op.drop_column("exchange")
    with op.batch_alter_table("refund_requests") as batch_op:
        batch_op.drop_column("result")
        batch_op.drop_column("details")
        batch_op.drop_column("kind")
