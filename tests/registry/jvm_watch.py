"""The real JVM scorer in a scoring loop (``java -jar ... --watch ROOT NAME@ALIAS ROWS MS N``)
and the Python numbers it must give, for the registry's end-to-end tests."""

from __future__ import annotations

import json
import pickle
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from railyard_batch.bundle.jvm_scorer import scorer_jar

FEATURES = (
    "amount",
    "hour",
    "account_age_days",
    "prev_txn_24h",
    "country",
    "card_brand",
    "channel",
)


def write_rows(frame: pd.DataFrame, path: Path) -> Path:
    """The rows' features as JSON lines, the scorer's input (numpy values as JSON types)."""
    records = json.loads(frame[list(FEATURES)].to_json(orient="records"))
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def python_scores(member: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """What the member's own model (its model.pkl) gives for the rows."""
    model = pickle.loads(Path(member["artifact_uri"]).read_bytes())
    return np.asarray(model.predict_proba(frame[list(FEATURES)]), dtype=float)


class Watch:
    """One JVM scoring ``rows`` every ``interval_ms`` with whatever ``ref`` points at; each
    round is a JSON line (version, event_id, predictions). Use as a context manager."""

    def __init__(self, root: Path, ref: str, rows: Path, interval_ms: int = 100) -> None:
        self.proc = subprocess.Popen(
            [
                *("java", "-jar", str(scorer_jar(build=True))),
                *("--watch", str(root), ref, str(rows), str(interval_ms), "3000"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def until(self, version: str) -> dict[str, Any]:
        """The first round scored by ``version``."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            doc = json.loads(line)
            if doc["version"] == version:
                return dict(doc)
        raise AssertionError(f"the JVM ended before serving {version}: {self.proc.stderr}")

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.communicate(timeout=30)  # reaps it and closes its pipes


def assert_scores(doc: dict[str, Any], expected: np.ndarray) -> None:
    jvm = np.array([p["scores"] for p in doc["predictions"]], dtype=float)
    np.testing.assert_allclose(jvm, expected, rtol=0, atol=1e-12)
