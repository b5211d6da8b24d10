"""The one exception hierarchy of railyard-batch.

    RailyardError                    base: the CLI prints ``TypeName: message`` and exits non-zero
    ├── ConfigError (ValueError)     a config key holds a value that is not allowed
    │   └── UnknownTargetError       ``_target_`` names nothing importable
    ├── DataError (ValueError)       the dataset is missing, unreadable, or lacks what the config needs
    │   └── DataIntegrityError       the dataset's content does not match its recorded identity
    ├── MemberSkipped                a member cannot be trained (too few rows, one class): not a failure
    ├── StoreError (RuntimeError)    the run store cannot be opened or written
    ├── StorageError (OSError)       the artifact root cannot be written (full, read-only, refused)
    ├── RevisionError (ValueError)   a git revision that names nothing usable (``plan --against``)
    ├── OutputError (OSError)        a file the user asked for cannot be written (``report -o``)
    ├── KubernetesError (RuntimeError)  the API server refused a request (its message kept)
    │   (railyard_batch.execution.kubernetes; ManifestError, a ConfigError, for a bad rendered object)
    └── RunNotFoundError (KeyError)  a sweep, run or member id the store does not know

Messages name the config key or column, what is allowed and what was received, in one line:
``The 'split.strategy' parameter must be one of {'group', 'random', 'stratified', 'time'}. Got 'rnd'.``
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DataError",
    "DataIntegrityError",
    "MemberSkipped",
    "OutputError",
    "RailyardError",
    "RevisionError",
    "RunNotFoundError",
    "StorageError",
    "StoreError",
    "UnknownTargetError",
    "one_of",
]


class RailyardError(Exception):
    """Base of every error railyard-batch raises on purpose."""


class ConfigError(RailyardError, ValueError):
    """A config value is malformed or not allowed."""


class UnknownTargetError(ConfigError):
    """A ``_target_`` names a class or function that cannot be imported."""


class DataError(RailyardError, ValueError):
    """The dataset cannot be read or does not hold what the config asks for."""


class DataIntegrityError(DataError):
    """The dataset's content hash differs from the identity the run recorded."""


class MemberSkipped(RailyardError):
    """A member's slice cannot be trained; the sweep records it as skipped and goes on."""


class RevisionError(RailyardError, ValueError):
    """A git revision is unknown, missing from a shallow clone, or holds no project configs."""


class StoreError(RailyardError, RuntimeError):
    """The run store cannot be opened or written."""


class StorageError(RailyardError, OSError):
    """A write to the artifact root failed: no space, read-only, permission, a refusing remote."""


class OutputError(RailyardError, OSError):
    """A file the user asked for (a report's ``--output``) cannot be written."""


class RunNotFoundError(RailyardError, KeyError):
    """No sweep, run or member has the given id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def one_of(key: str, allowed: Iterable[object], got: object) -> ConfigError:
    """The standard message for a value outside an allowed set."""
    choices = "{" + ", ".join(repr(a) for a in sorted(allowed, key=str)) + "}"
    return ConfigError(f"The '{key}' parameter must be one of {choices}. Got {got!r}.")
