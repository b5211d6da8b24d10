"""The run store's tables, as SQLAlchemy Core ``Table``\\ s in one ``MetaData``.

The same tables on SQLite and PostgreSQL: text for ids, timestamps (ISO 8601, UTC, sortable
as text) and JSON documents, so a store copies between backends as it is. Changing a table
here needs a new migration in ``railyard_batch/recording/migrations/versions/``.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, MetaData, Table, Text

metadata = MetaData()

sweeps = Table(
    "sweeps",
    metadata,
    Column("id", Text, primary_key=True),
    Column("experiment", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("command", Text),
    Column("overrides", Text),
    Column("git_commit", Text),
    Column("git_dirty", Integer),
    Column("package_versions", Text),
    Column("backend", Text),
    Column("created_at", Text, nullable=False),
    Column("finished_at", Text),
    # The launcher holding a local sweep and until when (epoch seconds); None: owned elsewhere.
    Column("owner", Text),
    Column("lease_expires", Float),
    Column("heartbeat_at", Text),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Text, primary_key=True),
    Column("sweep_id", Text, ForeignKey("sweeps.id"), nullable=False),
    Column("job_num", Integer, nullable=False),
    Column("overrides", Text),
    Column("config", Text, nullable=False),
    Column("config_hash", Text, nullable=False),
    Column("estimator", Text),
    Column("data_path", Text),
    Column("data_md5", Text),
    Column("data_source", Text),
    Column("artifact_uri", Text),
    Column("state", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("finished_at", Text),
)

members = Table(
    "members",
    metadata,
    Column("id", Text, primary_key=True),
    Column("run_id", Text, ForeignKey("runs.id"), nullable=False),
    Column("sweep_id", Text, nullable=False),
    Column("member_key", Text, nullable=False),
    Column("member_value", Text),
    Column("shard", Integer, nullable=False),
    Column("n_rows", Integer),
    Column("state", Text, nullable=False),
    Column("queued_at", Text, nullable=False),
    Column("started_at", Text),
    Column("finished_at", Text),
    Column("metrics", Text),
    Column("artifact_uri", Text),
    Column("model_sha256", Text),
    Column("reason", Text),
    Column("content_key", Text),
    Column("cached_from", Text),
    Column("export", Text),
    Column("node", Text),
    Column("log", Text),
    # The worker training it and until when (epoch seconds).
    Column("owner", Text),
    Column("lease_expires", Float),
)

# A composition of a run's members (railyard-batch compose): recorded like a member, its
# content key the members' keys and the composition's config (migration 0002).
compositions = Table(
    "compositions",
    metadata,
    Column("id", Text, primary_key=True),  # <run id>/composition.<name>
    Column("run_id", Text, ForeignKey("runs.id"), nullable=False),
    Column("sweep_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("content_key", Text, nullable=False),
    Column("config", Text, nullable=False),
    Column("metrics", Text),
    Column("result", Text),  # the result document's path
    Column("export", Text),
    Column("created_at", Text, nullable=False),
    Column("finished_at", Text),
)

Index("members_by_run", members.c.run_id)
Index("members_by_sweep_state", members.c.sweep_id, members.c.state)
# A sweep's members in the order they are listed, so a page is read from the index.
Index(
    "members_by_sweep_page",
    members.c.sweep_id,
    members.c.run_id,
    members.c.n_rows.desc(),
    members.c.member_key,
)
Index("runs_by_sweep", runs.c.sweep_id)
Index("members_by_content_key", members.c.content_key, members.c.state)
Index("compositions_by_sweep", compositions.c.sweep_id)

# Columns whose text is a JSON document, decoded on read.
JSON_COLUMNS = frozenset(
    {"overrides", "package_versions", "config", "metrics", "export", "log", "member_value"}
)
# Tables in the order a copy inserts them (parents first).
TABLES = (sweeps, runs, members, compositions)
