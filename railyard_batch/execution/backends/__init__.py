"""Where shards execute. The one seam between the runner and the outside world: every backend
runs the same worker (:func:`railyard_batch.execution.worker.run_shard`) on the same run plans."""

from railyard_batch.execution.backends.base import Backend
from railyard_batch.execution.backends.local import LocalBackend

__all__ = ["Backend", "LocalBackend"]
