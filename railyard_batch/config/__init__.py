"""The training contract: typed config schema (Hydra structured configs) and its validation."""

from railyard_batch.config.schema import TrainConfig, register_configs
from railyard_batch.config.validate import ValidatedConfig, validate_config

__all__ = ["TrainConfig", "ValidatedConfig", "register_configs", "validate_config"]
