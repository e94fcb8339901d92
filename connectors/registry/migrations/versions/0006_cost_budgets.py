"""rate_budgets.maximum and rate_budgets.restore_rate: a GraphQL cost budget (`<app>/<connection>/cost`) shares the
size and restore rate the app last reported, so a new process meters its first query like the others

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rate_budgets") as batch:
        batch.add_column(sa.Column("maximum", sa.Float(), nullable=True))
        batch.add_column(sa.Column("restore_rate", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rate_budgets") as batch:
        batch.drop_column("restore_rate")
        batch.drop_column("maximum")
