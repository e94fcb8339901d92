"""circuits: a breaker per (app, connection), so every workflow calling a down app waits, not only the one that
found it down

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "circuits",
        sa.Column("app", sa.String(length=100), nullable=False),
        sa.Column("connection_id", sa.String(length=250), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("open_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("probe_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("app", "connection_id"),
    )


def downgrade() -> None:
    op.drop_table("circuits")
