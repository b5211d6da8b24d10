"""The model registry's tables (railyard_batch/registry/tables.py) join the run store's
versions. Stores where an older railyard-batch made them itself (at first use) keep them as
they are; a store without them gets them.

The schema is written out here, not imported from ``registry.tables``: a revision is frozen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_registry"
down_revision = "0002_compositions"
branch_labels = None
depends_on = None


def _tables() -> list[sa.Table]:
    meta = sa.MetaData()
    name, digest, stamp = sa.String(200), sa.String(128), sa.String(40)
    text = sa.Text
    sa.Table(
        "registry_models",
        meta,
        sa.Column("name", name, primary_key=True),
        sa.Column("created_at", stamp, nullable=False),
    )
    sa.Table(
        "registry_versions",
        meta,
        sa.Column("model_name", name, sa.ForeignKey("registry_models.name"), primary_key=True),
        sa.Column("version", digest, primary_key=True),
        sa.Column("bundle_hash", sa.String(200), nullable=False),
        sa.Column("bundle_uri", text, nullable=False),
        *(
            sa.Column(c, text)
            for c in ("sweep_id", "run_id", "member_id", "estimator", "metrics", "data_md5")
        ),
        sa.Column("git_commit", text),
        sa.Column("package_versions", text),
        sa.Column("parity_passed", sa.Boolean, nullable=False),
        sa.Column("exportable", sa.Boolean, nullable=False),
        sa.Column("gate_reason", text),
        sa.Column("registered_at", stamp, nullable=False),
    )
    sa.Table(
        "registry_tags",
        meta,
        sa.Column("model_name", name, primary_key=True),
        sa.Column("version", digest, primary_key=True),
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", text, nullable=False),
    )
    sa.Table(
        "registry_aliases",
        meta,
        sa.Column("model_name", name, sa.ForeignKey("registry_models.name"), primary_key=True),
        sa.Column("alias", sa.String(100), primary_key=True),
        sa.Column("version", digest, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
    )
    events = sa.Table(
        "registry_events",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model_name", name, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("alias", sa.String(100)),
        sa.Column("tag_key", sa.String(100)),
        sa.Column("tag_value", text),
        sa.Column("from_version", digest),
        sa.Column("to_version", digest),
        sa.Column("actor", text, nullable=False),
        sa.Column("at", stamp, nullable=False),
        sa.Column("reason", text),
        sa.Column("evidence", text),
        sa.Column("forced", sa.Boolean, nullable=False, default=False),
    )
    sa.Index("registry_events_by_model", events.c.model_name, events.c.alias, events.c.id)
    shadow = sa.Table(
        "registry_shadow_reports",
        meta,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("model_name", name, nullable=False),
        sa.Column("candidate", digest, nullable=False),
        sa.Column("production", digest, nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("report", text, nullable=False),
    )
    sa.Index(
        "registry_shadow_by_pair",
        shadow.c.model_name,
        shadow.c.candidate,
        shadow.c.production,
        shadow.c.created_at,
    )
    return list(meta.sorted_tables)


def upgrade() -> None:
    bind = op.get_bind()
    have = set(sa.inspect(bind).get_table_names())
    for table in _tables():  # parents first
        if table.name not in have:
            table.create(bind)  # with its indexes


def downgrade() -> None:
    for table in reversed(_tables()):
        op.drop_table(table.name)
