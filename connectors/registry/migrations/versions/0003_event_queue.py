"""events as a queue drained in batches: leases, attempts, retry backoff; drains; shared rate budgets

`triggered` events go back to `received` (a run drains them), `succeeded` becomes `done`, and the action log's
`event_key` is called `dedupe_key` as in the events table.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_events_queue", ["workflow_id", "status", "id"])
        batch.create_index("ix_events_dag_run_id", ["dag_run_id"])
    op.execute("UPDATE events SET status = 'received' WHERE status IN ('triggered', 'running')")
    op.execute("UPDATE events SET status = 'done' WHERE status = 'succeeded'")
    with op.batch_alter_table("action_log") as batch:
        batch.drop_constraint("uq_action_log_step", type_="unique")
        batch.alter_column("event_key", new_column_name="dedupe_key", existing_type=sa.String(250))
    with op.batch_alter_table("action_log") as batch:  # apart: SQLite's table copy would drop it with the rename
        batch.create_unique_constraint("uq_action_log_step", ["workflow_id", "dedupe_key", "step_key"])
    op.create_table(
        "drains",
        sa.Column("dag_run_id", sa.String(length=250), nullable=False),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["workflow_id"], ["workflows.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("dag_run_id"),
    )
    op.create_index("ix_drains_workflow_id", "drains", ["workflow_id"])
    op.create_table(
        "rate_budgets",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("rate_budgets")
    op.drop_index("ix_drains_workflow_id", table_name="drains")
    op.drop_table("drains")
    with op.batch_alter_table("action_log") as batch:
        batch.drop_constraint("uq_action_log_step", type_="unique")
        batch.alter_column("dedupe_key", new_column_name="event_key", existing_type=sa.String(250))
    with op.batch_alter_table("action_log") as batch:
        batch.create_unique_constraint("uq_action_log_step", ["workflow_id", "event_key", "step_key"])
    op.execute("UPDATE events SET status = 'succeeded' WHERE status = 'done'")
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_dag_run_id")
        batch.drop_index("ix_events_queue")
        batch.drop_column("lease_until")
        batch.drop_column("not_before")
        batch.drop_column("attempts")
