"""The training service's tables (railyard_batch/service/tables.py) join the run store's
versions, and a token gains a team: ``service_tokens.team`` (who the token's trainings are
counted for in ``/metrics``) and ``service_trainings.team`` (the team of the token that asked).
Stores where an older railyard-batch made the two tables itself (at first use) keep them and
their rows, and gain the column; a store without them gets them.

The schema is written out here, not imported from ``service.tables``: a revision is frozen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_service"
down_revision = "0003_registry"
branch_labels = None
depends_on = None

_TEAM = "team"


def _tables() -> list[sa.Table]:
    meta = sa.MetaData()
    name, stamp = sa.String(200), sa.String(40)
    sa.Table(
        "service_tokens",
        meta,
        sa.Column("name", name, primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column(_TEAM, sa.String(100), nullable=True),
    )
    sa.Table(
        "service_trainings",
        meta,
        sa.Column("sweep_id", sa.String(40), primary_key=True),
        sa.Column("actor", name, nullable=False),
        sa.Column("idempotency_key", name, nullable=True),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("experiment", name, nullable=False),
        sa.Column("estimators", sa.Text, nullable=False),
        sa.Column("argv", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("exit_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("cancelled_by", name, nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("finished_at", stamp, nullable=True),
        sa.Column(_TEAM, sa.String(100), nullable=True),
        sa.UniqueConstraint("actor", "idempotency_key", name="service_trainings_idempotency"),
    )
    return list(meta.sorted_tables)


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    have = set(inspector.get_table_names())
    for table in _tables():
        if table.name not in have:
            table.create(bind)
        elif _TEAM not in {c["name"] for c in inspector.get_columns(table.name)}:
            op.add_column(table.name, sa.Column(_TEAM, sa.String(100), nullable=True))


def downgrade() -> None:
    for table in reversed(_tables()):
        op.drop_table(table.name)
