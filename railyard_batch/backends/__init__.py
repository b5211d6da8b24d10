"""Where shards execute. The one seam between the runner and the outside world: every backend
runs the same worker (:func:`railyard_batch.worker.run_shard`) on the same run plans."""

from railyard_batch.backends.base import Backend
from railyard_batch.backends.local import LocalBackend

__all__ = ["Backend", "LocalBackend"]
