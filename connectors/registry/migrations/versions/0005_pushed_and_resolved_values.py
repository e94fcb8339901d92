"""pushed_values and resolved_values: what each connection was last sent per item (only changes are pushed), and
the app ids its searches found per key (SKU -> inventory item), so bulk syncs need no hand-written maps

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pushed_values",
        sa.Column("app", sa.String(length=100), nullable=False),
        sa.Column("connection_id", sa.String(length=250), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("identity", sa.String(length=500), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=500), nullable=True),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("app", "connection_id", "action", "identity"),
    )
    op.create_table(
        "resolved_values",
        sa.Column("app", sa.String(length=100), nullable=False),
        sa.Column("connection_id", sa.String(length=250), nullable=False),
        sa.Column("search", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("app", "connection_id", "search", "key"),
    )


def downgrade() -> None:
    op.drop_table("resolved_values")
    op.drop_table("pushed_values")
