"""The registry's tables (SQLAlchemy Core), in the run store's database, in their own MetaData.

Portable SQL only (SQLite and PostgreSQL): text timestamps (ISO-8601 UTC, sortable), JSON as
text, an integer event id that increases with every registry event.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

NAME = String(200)
HASH = String(128)

models = Table(
    "registry_models",
    metadata,
    Column("name", NAME, primary_key=True),
    Column("created_at", String(40), nullable=False),
)

versions = Table(
    "registry_versions",
    metadata,
    Column("model_name", NAME, ForeignKey("registry_models.name"), primary_key=True),
    # The bundle's content hash (its manifest.json), hex.
    Column("version", HASH, primary_key=True),
    # The content hash as the manifest writes it ("sha256:<hex>").
    Column("bundle_hash", String(200), nullable=False),
    # The bundle directory, relative to the artifact root, forward slashes.
    Column("bundle_uri", Text, nullable=False),
    Column("sweep_id", Text),
    Column("run_id", Text),
    Column("member_id", Text),
    Column("estimator", Text),
    Column("metrics", Text),  # JSON
    Column("data_md5", Text),
    Column("git_commit", Text),
    Column("package_versions", Text),  # JSON
    Column("parity_passed", Boolean, nullable=False),
    Column("exportable", Boolean, nullable=False),
    Column("gate_reason", Text),
    Column("registered_at", String(40), nullable=False),
)

tags = Table(
    "registry_tags",
    metadata,
    Column("model_name", NAME, primary_key=True),
    Column("version", HASH, primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

aliases = Table(
    "registry_aliases",
    metadata,
    Column("model_name", NAME, ForeignKey("registry_models.name"), primary_key=True),
    Column("alias", String(100), primary_key=True),
    Column("version", HASH, nullable=False),
    # The event that put it there: the expected value of an optimistic update.
    Column("event_id", Integer, nullable=False),
)

# Append-only: every change of a tag or alias (and each registration) is one row.
events = Table(
    "registry_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_name", NAME, nullable=False),
    # registered, tag_set, tag_removed, alias_moved, alias_removed
    Column("kind", String(20), nullable=False),
    Column("alias", String(100)),
    Column("tag_key", String(100)),
    Column("tag_value", Text),
    Column("from_version", HASH),
    Column("to_version", HASH),
    Column("actor", Text, nullable=False),
    Column("at", String(40), nullable=False),
    Column("reason", Text),
    Column("evidence", Text),
    Column("forced", Boolean, nullable=False, default=False),
)

Index("registry_events_by_model", events.c.model_name, events.c.alias, events.c.id)

# One row per `models shadow` run: the comparison as JSON (files beside it under the root).
shadow_reports = Table(
    "registry_shadow_reports",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("model_name", NAME, nullable=False),
    Column("candidate", HASH, nullable=False),
    Column("production", HASH, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("report", Text, nullable=False),
)

Index(
    "registry_shadow_by_pair",
    shadow_reports.c.model_name,
    shadow_reports.c.candidate,
    shadow_reports.c.production,
    shadow_reports.c.created_at,
)
