"""Hydra launcher plugins of railyard-batch: ``hydra/launcher=local`` (the default)."""
