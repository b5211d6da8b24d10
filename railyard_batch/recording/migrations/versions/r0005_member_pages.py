"""An index in the order a sweep's members are listed (run, largest first, key), so a page
of a 10,000-member sweep (the service's ``GET /v1/sweeps/{id}``, ``RunStore.sweep_page``)
reads its 100 rows from the index instead of sorting the sweep on every request.

The schema is written out here, not imported from ``store_tables``: a revision is frozen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_member_pages"
down_revision = "0004_service"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "members_by_sweep_page",
        "members",
        ["sweep_id", "run_id", sa.text("n_rows DESC"), "member_key"],
    )


def downgrade() -> None:
    op.drop_index("members_by_sweep_page", "members")
