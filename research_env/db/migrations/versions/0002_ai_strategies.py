"""The AI-strategy tables: ``ai_strategies`` (one row per user and strategy name) and ``ai_strategy_results``.

Revision ID: 0002_ai_strategies
Revises: 0001_bars
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_ai_strategies"
down_revision = "0001_bars"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``ai_strategies`` (status draft, tested or promoted) and its backtest results (deleted with it)."""
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "ai_strategies",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False, comment="the source file in the data folder"),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
        sa.Column("validation", sa.Text(), nullable=False, comment="the validation report, JSON"),
        sa.Column("source_digest", sa.Text(), nullable=False, comment="SHA-256 of the source file"),
        sa.Column("promoted_path", sa.Text(), nullable=True, comment="where promote_strategy copied it"),
        sa.CheckConstraint("status IN ('draft', 'tested', 'promoted')", name="ai_strategies_status_check"),
        sa.UniqueConstraint("user_id", "name", name="ai_strategies_user_id_name_key"),
        sqlite_autoincrement=True,  # ids are never reused, so an old id never names a newer strategy
    )
    op.create_table(
        "ai_strategy_results",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("strategy_id", sa.Integer(), sa.ForeignKey("ai_strategies.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("result", sa.Text(), nullable=False, comment="the result's to_dict and the run arguments, JSON"),
        sqlite_autoincrement=True,
    )
    op.create_index("ai_strategy_results_strategy_id_idx", "ai_strategy_results", ["strategy_id", "id"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("ai_strategy_results")
    op.drop_table("ai_strategies")
