"""The backtest service's tasks: ``service_tasks``, one row per submitted backtest or sweep.

Revision ID: 0003_service_tasks
Revises: 0002_ai_strategies
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_service_tasks"
down_revision = "0002_ai_strategies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``service_tasks`` (status queued, running, done, failed or cancelled) with its list indexes."""
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "service_tasks",
        sa.Column("id", sa.Text(), primary_key=True, comment="random hex, the API's task_id"),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False, comment="percent done, 0 to 100"),
        sa.Column("request", sa.Text(), nullable=False, comment="the request body, JSON"),
        sa.Column("report", sa.Text(), nullable=True, comment="the result, JSON (may be large)"),
        sa.Column("error", sa.Text(), nullable=True, comment="why it failed, JSON"),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("started_at", stamp, nullable=True),
        sa.Column("finished_at", stamp, nullable=True),
        sa.CheckConstraint("kind IN ('backtest', 'sweep', 'sweep_parallel')", name="service_tasks_kind_check"),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'cancelled')",
                           name="service_tasks_status_check"),
    )
    op.create_index("service_tasks_created_at_idx", "service_tasks", ["created_at"])
    op.create_index("service_tasks_status_idx", "service_tasks", ["status", "created_at"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("service_tasks")
