"""A member's scores files (recording/scores.py): Arrow IPC written and read back exactly,
an earlier version's parquet file still read, and a report's note when neither is there or
the file is damaged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railyard_batch.recording import scores
from railyard_batch.recording.artifacts import HOLDOUT_SCORES, OOF_SCORES
from railyard_batch.recording.records import MemberRecord
from railyard_batch.reports.data import holdout_scores


def _table(score: list[float]) -> pa.Table:
    n = len(score)
    return pa.table(
        {
            "pos": np.arange(n, dtype=np.int64),
            "y_true": (np.arange(n) % 2).astype(np.int8),
            "score": np.asarray(score, dtype=np.float64),
        }
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_a_scores_file_reads_back_bit_for_bit(score: list[float]) -> None:
    table = _table(score)
    got = scores.decode(scores.encode(table))
    assert got.schema == table.schema
    for name in table.column_names:
        a, b = got.column(name).to_numpy(), table.column(name).to_numpy()
        assert a.tobytes() == b.tobytes()


def _write_parquet(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


@pytest.mark.parametrize("name", [HOLDOUT_SCORES, OOF_SCORES])
def test_an_earlier_versions_parquet_file_is_read_and_todays_file_wins(
    tmp_path: Path, name: str
) -> None:
    folder = tmp_path / "member"
    old, new = _table([0.1, 0.9]), _table([0.2, 0.8, 0.5])
    _write_parquet(folder / scores.LEGACY[name], old)

    def get(path: str) -> bytes:
        return Path(path).read_bytes()

    assert scores.read(get, str(folder), name).equals(old)
    (folder / name).write_bytes(scores.encode(new))
    assert scores.read(get, str(folder), name).equals(new)
    with pytest.raises(FileNotFoundError):
        scores.read(get, str(tmp_path / "none"), name)


def _member(**fields: Any) -> MemberRecord:
    """A member record with only ``fields`` set (every other column None)."""
    return MemberRecord(**{name: fields.get(name) for name in MemberRecord._columns})


def test_the_reports_read_either_file_and_say_why_when_they_cannot(tmp_path: Path) -> None:
    model = tmp_path / "m" / "model.pkl"
    member = _member(artifact_uri=str(model))
    assert holdout_scores(member).missing == (
        "no holdout scores kept (trained by an older version)"
    )
    _write_parquet(model.parent / scores.LEGACY[HOLDOUT_SCORES], _table([0.3, 0.7]))
    got = holdout_scores(member)
    assert got.missing is None and got.frame is not None
    assert got.frame["score"].tolist() == [0.3, 0.7]
    (model.parent / HOLDOUT_SCORES).write_bytes(b"ARROW1 but not really")
    damaged = holdout_scores(member)
    assert damaged.frame is None and damaged.missing is not None
    assert damaged.missing.startswith("holdout scores unreadable: ")
