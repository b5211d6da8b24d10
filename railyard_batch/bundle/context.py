"""What step exporters share while one bundle is written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExportContext:
    """Collects one JSON document per pipeline step, keyed by its file name in the bundle."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    # True while exporting a model whose input matrix is scipy-sparse (XGBoost then
    # treats entries that are not stored, the zeros, as missing).
    input_is_sparse: bool = False

    def add(self, step_path: str, doc: dict[str, Any]) -> str:
        """Store ``doc`` for the step at ``step_path``; returns its file name."""
        name = "steps/" + re.sub(r"[^A-Za-z0-9_.-]+", "_", step_path) + ".json"
        if name in self.documents:
            raise ValueError(f"Two steps map to the same document name {name!r}.")
        self.documents[name] = {"path": step_path, **doc}
        return name
