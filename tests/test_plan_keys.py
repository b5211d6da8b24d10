"""The plan's content keys are the sweep's, byte for byte, and its markdown keeps any fan-out
value inside one table cell."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from railyard_batch.change_plan.output import _md
from railyard_batch.planning.plan import content_key, content_keys

VALUES = st.one_of(st.none(), st.text(), st.integers(), st.booleans())
CONFIG: dict[str, Any] = {
    "estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "C": 0.5},
    "fanout": {"by": "merchant_id", "min_rows": 300, "include_global": True},
    "resources": {"cpu": "1"},
    "params": {"note": "ü </details> | `x`"},
}


@given(st.lists(VALUES, max_size=20), st.text(), st.text())
def test_content_keys_match_the_sweeps(values: list[Any], md5: str, code: str) -> None:
    assert content_keys(CONFIG, md5, values, code) == [
        content_key(CONFIG, md5, v, code) for v in values
    ]


@given(st.text())
def test_markdown_cells_stay_one_cell(text: str) -> None:
    cell = _md(text)
    assert "\n" not in cell and "\r" not in cell and "<" not in cell and "`" not in cell
    assert cell.replace("\\\\", "").count("|") == cell.replace("\\\\", "").count("\\|")
