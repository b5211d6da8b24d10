"""Compositions of a run's members (``railyard-batch compose``), recorded like members.

The schema is written out here, not imported from ``store_tables``: a revision is frozen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_compositions"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sa.Text
    op.create_table(
        "compositions",
        sa.Column("id", text, primary_key=True),
        sa.Column("run_id", text, sa.ForeignKey("runs.id"), nullable=False),
        *(sa.Column(c, text, nullable=False) for c in ("sweep_id", "name", "kind", "state")),
        *(sa.Column(c, text, nullable=False) for c in ("content_key", "config")),
        *(sa.Column(c, text) for c in ("metrics", "result", "export")),
        sa.Column("created_at", text, nullable=False),
        sa.Column("finished_at", text),
    )
    op.create_index("compositions_by_sweep", "compositions", ["sweep_id"])


def downgrade() -> None:
    op.drop_index("compositions_by_sweep", "compositions")
    op.drop_table("compositions")
