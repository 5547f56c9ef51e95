"""The ``bars`` table: one row per bar, keyed by (symbol, timeframe, close time).

Revision ID: 0001_bars
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_bars"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``bars``; its primary key makes a range read of one symbol and timeframe an index scan."""
    price = sa.Double()
    op.create_table(
        "bars",
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("timeframe", sa.Text(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False, comment="bar close time (UTC)"),
        sa.Column("open", price, nullable=False),
        sa.Column("high", price, nullable=False),
        sa.Column("low", price, nullable=False),
        sa.Column("close", price, nullable=False),
        sa.Column("volume", price, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "timeframe", "ts", name="bars_pkey"),
    )


def downgrade() -> None:
    """Drop ``bars``."""
    op.drop_table("bars")
