"""Registry errors: each is a user mistake or a refusal, printed as one line, exit status 2."""

from __future__ import annotations

from railyard_batch.errors import RailyardError


class RegistryError(RailyardError):
    """Base of the registry's errors."""


class InvalidNameError(RegistryError, ValueError):
    """A model name, alias or tag that breaks the naming rule."""


class ModelNotFoundError(RegistryError, KeyError):
    """No registered model, version or alias by that name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NotRegistrableError(RegistryError):
    """A member without a bundle to register (not trained with export.bundle=true, failed)."""


class PromotionRefused(RegistryError):
    """A promotion criterion failed; names the criterion, its threshold and the value measured."""


class PromotionConflict(RegistryError):
    """Another change moved the alias first (optimistic concurrency): nothing was changed."""
