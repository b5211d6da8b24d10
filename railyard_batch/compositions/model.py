"""A recorded composition as a Python model, so that what reads members (the shadow, for one)
reads compositions too: ``ComposedModel.predict_proba`` routes each row to its member's
pipeline as the composition's bundle does, and :class:`CompositionHoldouts` answers
``rows``/``pipeline``/``context`` for a composition id (``<run>/composition.<name>``) and
passes every other id to :class:`export.Holdouts`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from railyard_batch.bundle.composite import is_missing
from railyard_batch.compositions.evaluate import GLOBAL_KEY
from railyard_batch.compositions.ids import is_composition
from railyard_batch.errors import ConfigError

if TYPE_CHECKING:
    from railyard_batch.recording.store import RunStore


class ComposedModel:
    """Rows routed by ``by``: a value with a member goes to it (``route``), or to
    ``w * member + (1 - w) * fallback`` (``blend``); any other row to the fallback."""

    def __init__(
        self, fallback: Any, routes: dict[Any, Any], *, by: str, kind: str, member_weight: float
    ) -> None:
        self.fallback, self.routes, self.by = fallback, routes, by
        self.kind, self.member_weight = kind, member_weight
        self.classes_ = getattr(fallback, "classes_", None)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        if self.by not in frame.columns:
            raise ConfigError(
                f"A composition routes by {self.by!r}; the rows to score have no such column."
            )
        proba = np.asarray(self.fallback.predict_proba(frame), dtype=float)
        target = [None if is_missing(v) else v for v in frame[self.by].to_numpy(dtype=object)]
        rows_of: dict[Any, list[int]] = {}
        for i, value in enumerate(target):
            if value is not None and value in self.routes:
                rows_of.setdefault(value, []).append(i)
        w = self.member_weight
        for value, rows in rows_of.items():
            own = np.asarray(self.routes[value].predict_proba(frame.iloc[rows]), dtype=float)
            proba[rows] = own if self.kind == "route" else w * own + (1 - w) * proba[rows]
        return proba


class CompositionHoldouts:
    """:class:`export.Holdouts` that also knows the compositions of the run store."""

    def __init__(self, holdouts: Any, store: RunStore) -> None:
        self._holdouts, self._store = holdouts, store
        self._cache: dict[str, dict[str, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._holdouts, name)

    def _result(self, ref: str) -> dict[str, Any]:
        """The result document of ``<run>/composition.<name>@<12 hex>`` (a registered version:
        that evaluation's result) or ``<run>/composition.<name>`` (the newest)."""
        if ref not in self._cache:
            cid, _, key = ref.partition("@")
            row = self._store.composition(cid)
            path = Path(cast(str, row.result))  # (recorded by every compose)
            if key:
                path = path.with_name(f"{key}.json")
            try:
                result = json.loads(path.read_text())
            except (OSError, ValueError, TypeError):
                raise ConfigError(
                    f"Composition {ref!r}: its result {str(path)!r} cannot be read; compose"
                    " it again (railyard-batch compose SWEEP --composition NAME --force)."
                ) from None
            if key and not str(result.get("content_key", "")).startswith(key):
                raise ConfigError(f"Composition {ref!r}: {path} holds another evaluation.")
            if "routes" not in result:
                raise ConfigError(
                    f"Composition {cid!r} was recorded without its routing table; compose it"
                    " again (railyard-batch compose SWEEP --composition NAME --force)."
                )
            self._cache[ref] = result
        return self._cache[ref]

    def _global(self, cid: str) -> str:
        return str(self._result(cid)["global_member"])

    def context(self, member_id: str) -> tuple[Any, Any]:
        if not is_composition(member_id):
            return self._holdouts.context(member_id)
        return self._holdouts.context(self._global(member_id))

    def pipeline(self, member_id: str) -> Any:
        if not is_composition(member_id):
            return self._holdouts.pipeline(member_id)
        doc = self._result(member_id)
        vc, _ = self._holdouts.context(doc["global_member"])
        spec = doc["composition"]
        routes = {value: self._holdouts.pipeline(mid) for value, mid in doc["routes"]}
        return ComposedModel(
            self._holdouts.pipeline(doc["global_member"]),
            routes,
            by=vc["fanout"]["by"],
            kind=spec["kind"],
            member_weight=float(spec["weights"]["member"]),
        )

    def rows(self, member_id: str) -> tuple[pd.DataFrame, pd.Series]:
        """A composition's rows: the global member's holdout less the rows a routed member
        trained on (as ``compose`` evaluated it), with the routing column."""
        if not is_composition(member_id):
            return self._holdouts.rows(member_id)
        doc = self._result(member_id)
        g_rows, g_labels = self._holdouts.rows(doc["global_member"])
        values = self._holdouts.fanout_values(doc["global_member"])
        keep = pd.Series(True, index=g_rows.index)
        routed = dict((value, mid) for value, mid in doc["routes"])
        for value, in_value in values.groupby(values, dropna=True, sort=False).groups.items():
            mid = routed.get(value)
            if mid is not None:
                keep[in_value.difference(self._holdouts.holdout_index(mid))] = False
        rows = g_rows[keep.to_numpy()]
        if values.name not in rows.columns:
            rows = rows.assign(**{str(values.name): values[keep.to_numpy()].to_numpy()})
        return rows, g_labels[keep.to_numpy()]


__all__ = ["GLOBAL_KEY", "ComposedModel", "CompositionHoldouts"]
