"""The run store as railyard-batch 0.1 left it: sweeps, runs, members.

Creates the tables in a new database. In a store made before versions existed (SQLite,
no ``alembic_version``), adds the columns that older 0.1 stores lack (what ``_migrate`` used
to add at every start) and the indexes, and leaves the rows alone.

The schema is written out here, not imported from ``store_tables``: a revision is frozen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> list[sa.Table]:
    meta = sa.MetaData()
    text, integer = sa.Text, sa.Integer
    sweeps = sa.Table(
        "sweeps",
        meta,
        sa.Column("id", text, primary_key=True),
        sa.Column("experiment", text, nullable=False),
        sa.Column("state", text, nullable=False),
        *(sa.Column(c, text) for c in ("command", "overrides", "git_commit")),
        sa.Column("git_dirty", integer),
        *(sa.Column(c, text) for c in ("package_versions", "backend")),
        sa.Column("created_at", text, nullable=False),
        *(sa.Column(c, text) for c in ("finished_at", "owner")),
        sa.Column("lease_expires", sa.Float),
        sa.Column("heartbeat_at", text),
    )
    runs = sa.Table(
        "runs",
        meta,
        sa.Column("id", text, primary_key=True),
        sa.Column("sweep_id", text, sa.ForeignKey("sweeps.id"), nullable=False),
        sa.Column("job_num", integer, nullable=False),
        sa.Column("overrides", text),
        sa.Column("config", text, nullable=False),
        sa.Column("config_hash", text, nullable=False),
        *(
            sa.Column(c, text)
            for c in ("estimator", "data_path", "data_md5", "data_source", "artifact_uri")
        ),
        sa.Column("state", text, nullable=False),
        sa.Column("created_at", text, nullable=False),
        sa.Column("finished_at", text),
    )
    members = sa.Table(
        "members",
        meta,
        sa.Column("id", text, primary_key=True),
        sa.Column("run_id", text, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("sweep_id", text, nullable=False),
        sa.Column("member_key", text, nullable=False),
        sa.Column("member_value", text),
        sa.Column("shard", integer, nullable=False),
        sa.Column("n_rows", integer),
        sa.Column("state", text, nullable=False),
        sa.Column("queued_at", text, nullable=False),
        *(
            sa.Column(c, text)
            for c in (
                "started_at",
                "finished_at",
                "metrics",
                "artifact_uri",
                "model_sha256",
                "reason",
                "content_key",
                "cached_from",
                "export",
                "node",
                "log",
                "owner",
            )
        ),
        sa.Column("lease_expires", sa.Float),
    )
    sa.Index("members_by_run", members.c.run_id)
    sa.Index("members_by_sweep_state", members.c.sweep_id, members.c.state)
    sa.Index("runs_by_sweep", runs.c.sweep_id)
    sa.Index("members_by_content_key", members.c.content_key, members.c.state)
    return [sweeps, runs, members]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    have = set(inspector.get_table_names())
    for table in _tables():
        if table.name not in have:
            table.create(bind)  # with its indexes
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns:  # all such columns are nullable
                op.add_column(table.name, sa.Column(column.name, column.type))
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(bind)


def downgrade() -> None:
    for name in ("members", "runs", "sweeps"):
        op.drop_table(name)
