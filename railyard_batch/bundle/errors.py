"""Errors raised by the bundle exporter and the parity gate.

RailyardError (railyard_batch.errors)
└── BundleError (ValueError)            a bundle cannot be written or read
    ├── UnsupportedStepError            a pipeline step has no exporter; names the step
    ├── BundleIntegrityError            a manifest field or document does not match the seal
    └── JvmScorerError                  the JVM scorer could not be built or run
"""

from __future__ import annotations

from railyard_batch.errors import RailyardError

__all__ = ["BundleError", "BundleIntegrityError", "JvmScorerError", "UnsupportedStepError"]


class BundleError(RailyardError, ValueError):
    """A bundle cannot be written, read or scored."""


class UnsupportedStepError(BundleError):
    """A pipeline step (or one of its settings) has no exporter."""

    def __init__(self, step_path: str, what: str, supported: list[str]) -> None:
        self.step_path = step_path
        self.supported = supported
        super().__init__(
            f"Step '{step_path}' cannot be exported: {what}. "
            f"Supported steps: {', '.join(sorted(supported))}."
        )


class BundleIntegrityError(BundleError):
    """A bundle's bytes do not match its seal (an edited manifest field or document)."""


class JvmScorerError(BundleError):
    """The JVM scorer (jvm/) could not be built or exited with an error."""
