"""Concurrent sweeps share work (issue 16): identical sweeps started at the same moment train
each member once in total; the others wait for that result and record it as cached. Each
invocation gets its own Hydra directory and log."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import Project
from tests.test_resume import _start, all_members


@pytest.mark.e2e
@pytest.mark.parametrize("copies", [2, 4])
def test_identical_sweeps_started_together_train_each_member_once(
    project: Project, copies: int
) -> None:
    procs = [_start(project) for _ in range(copies)]
    codes = [p.wait(600) for p in procs]
    assert codes == [0] * copies
    rows = all_members(project)
    sweeps = {r["sweep_id"] for r in rows}
    assert len(sweeps) == copies
    assert {r["state"] for r in rows} <= {"succeeded", "cached"}
    trained = Counter(r["content_key"] for r in rows if r["state"] == "succeeded")
    keys = {r["content_key"] for r in rows}
    assert set(trained) == keys and set(trained.values()) == {1}, trained
    assert len(rows) == copies * len(keys)  # every sweep recorded every member
    origins = {r["id"]: r for r in rows if r["state"] == "succeeded"}
    for row in rows:
        if row["state"] == "cached":
            assert origins[row["cached_from"]]["content_key"] == row["content_key"]
            assert origins[row["cached_from"]]["model_sha256"] == row["model_sha256"]
    logs = list((project.root / "multirun").rglob("multirun.yaml"))
    assert len({p.parent for p in logs}) == copies  # one Hydra directory each
