"""User code: feature transformers and optional train hooks, named from configs by _target_."""
