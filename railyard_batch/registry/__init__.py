"""The model registry: registered models (readable names), their versions (content-addressed
bundles with where they came from), tags and aliases with an append-only history, the
promotion gate, and the pointer documents the JVM reads (docs/registry.md)."""
