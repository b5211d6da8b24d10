"""Estimator checks a plan already passed, remembered by everything that decides them.

Checking an estimator (:func:`railyard_batch.config.validate.build_estimator`) imports its
library and builds it: scikit-learn alone takes two thirds of a second to import, most of a
``railyard-batch plan`` that reads its fan-out values from the index. The answer depends only
on the ``_target_``, its parameters, ``targets.allowed_modules`` and the installed versions of
the libraries (and of Python), so a check that passed is recorded under the sha256 of those
and not run again while they stay the same. Only library targets (scikit-learn, XGBoost,
LightGBM) are remembered: user code in ``pipelines/`` changes without a version. A failed
check is never recorded, so an error is always found again, with its own line.

The record is ``.dvc/tmp/railyard-checks.json`` beside the fan-out index (git ignores
``.dvc/tmp``); a project without ``.dvc/`` or a read-only one checks every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

CHECKS_FILE = Path(".dvc") / "tmp" / "railyard-checks.json"
_LIBRARIES = {"sklearn": "scikit-learn", "xgboost": "xgboost", "lightgbm": "lightgbm"}
_MAX = 10_000  # entries kept; more starts the record afresh


@cache
def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


class EstimatorChecks:
    """The checks of one project that passed; :meth:`save` writes those added."""

    def __init__(self, project_root: Path | None) -> None:
        self._path = None if project_root is None else project_root / CHECKS_FILE
        self._passed: set[str] = set()
        self._added = False
        if self._path is not None:
            try:
                loaded = json.loads(self._path.read_text())
            except (OSError, ValueError):
                loaded = None
            if isinstance(loaded, list):
                self._passed = {str(k) for k in loaded}

    @staticmethod
    def key(estimator: dict[str, Any], allowed: tuple[str, ...]) -> str | None:
        """What decides the check of ``estimator``; None when it must always run."""
        target = estimator.get("_target_")
        library = str(target).split(".", 1)[0] if isinstance(target, str) else ""
        if library not in _LIBRARIES:
            return None
        try:
            blob = json.dumps(
                [
                    estimator,
                    sorted(allowed),
                    sys.version,
                    {name: _version(dist) for name, dist in sorted(_LIBRARIES.items())},
                ],
                sort_keys=True,
                allow_nan=True,
            )
        except (TypeError, ValueError):  # a value JSON cannot hold: check it every time
            return None
        return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()

    def passed(self, key: str | None) -> bool:
        return key is not None and key in self._passed

    def add(self, key: str | None) -> None:
        if key is not None and key not in self._passed:
            if len(self._passed) >= _MAX:
                self._passed.clear()
            self._passed.add(key)
            self._added = True

    def save(self) -> None:
        """Write the record atomically; one that cannot be written costs only speed."""
        path = self._path
        if path is None or not self._added or not (path.parent.parent).is_dir():
            return
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(sorted(self._passed)))
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)
        self._added = False
