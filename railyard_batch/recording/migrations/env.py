"""Alembic's environment for the run store: run on the connection the caller passes in
``config.attributes["connection"]`` (:func:`railyard_batch.recording.migrations.upgrade`), inside
the caller's transaction."""

from __future__ import annotations

from alembic import context

from railyard_batch.recording.migrations import target_metadata

if context.is_offline_mode():
    raise RuntimeError("The run store's migrations run online only (railyard-batch store upgrade).")

context.configure(
    connection=context.config.attributes["connection"], target_metadata=target_metadata()
)
with context.begin_transaction():
    context.run_migrations()
