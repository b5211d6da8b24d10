"""railyard-batch: a config-driven batch runner for training machine-learning models."""

__version__ = "0.1.0"

__all__ = ["__version__"]
