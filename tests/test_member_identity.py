"""Fan-out values are data: no value can crash a sweep, collide with another member or with the
platform's own names, or write outside the artifact root (issue 10). Members get safe keys
(railyard_batch/planning/member_keys.py); the raw value is kept in the store.

The property tests plan and run real sweeps in process (inline worker, real SQLite store, real
artifact writes) on a local root and on an fsspec ``memory://`` root."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from railyard_batch.config.schema import TrainConfig
from railyard_batch.errors import DataError
from railyard_batch.execution.backends.local import LocalBackend
from railyard_batch.planning.member_keys import GLOBAL_KEY, MAX_KEY, is_plain, member_keys
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.store import FINISHED_STATES, RunStore
from railyard_batch.sweep import execute_sweep, plan_run
from tests.test_config_validation import base

ROWS_PER_VALUE = 12
SPECIAL = [
    "",
    ".",
    "..",
    "../../../escaped",
    "/etc/passwd",
    "a/b",
    "a\\b",
    "__global__",
    GLOBAL_KEY + "--0123456789ab",
    "x" * 500,
    "m001",
    "M001",
    " m001",
    "\x00",
    "\n",
    "\x1b[31mred",
    "[bold]markup[/bold]",
    "ünïcödé",
    "日本語",
    "con",
    "plan.json",
    "members",
    "a--b",
]
values_strategy = st.lists(
    st.one_of(
        st.sampled_from(SPECIAL),
        # Lone surrogates cannot be stored in a parquet (UTF-8) column, so no dataset has them.
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
    ),
    min_size=1,
    max_size=4,
    unique=True,
)


def test_plain_values_are_their_own_keys_and_others_are_hashed() -> None:
    keys = member_keys(["m001", "42", "a/b", "A/B", "__global__", "", "x" * 500, "a--b"])
    assert keys[:2] == ["m001", "42"]
    assert all("--" in k for k in keys[2:])
    assert len(set(keys)) == len(keys) and GLOBAL_KEY not in keys
    assert all(len(k) <= MAX_KEY for k in keys)


def test_the_same_text_with_two_types_gets_two_keys() -> None:
    keys = member_keys([1, "1"])
    assert len(set(keys)) == 2 and "1" not in keys


def test_a_value_of_an_unsupported_type_is_refused_naming_the_column() -> None:
    with pytest.raises(DataError, match=r"'fanout.by'='when'.*Timestamp"):
        member_keys([pd.Timestamp("2025-01-01")], column="when")


@given(values_strategy)
def test_keys_are_safe_bounded_and_unique(values: list[str]) -> None:
    keys = member_keys(values)
    assert len(set(keys)) == len(keys)
    for value, key in zip(values, keys, strict=True):
        assert 0 < len(key) <= MAX_KEY
        assert key != GLOBAL_KEY
        assert is_plain(key) or re.fullmatch(r"[a-z0-9_]+--[0-9a-f]{12}", key)
        assert key == value or "--" in key  # plain values keep their name


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A deep working directory (so '..' in a path has somewhere to go), as the cwd."""
    deep = tmp_path / "outside" / "project"
    deep.mkdir(parents=True)
    old = os.getcwd()
    os.chdir(deep)
    try:
        yield deep
    finally:
        os.chdir(old)


def _frame(values: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = ROWS_PER_VALUE * len(values)
    return pd.DataFrame(
        {
            "merchant": np.repeat(np.array(values, dtype=object), ROWS_PER_VALUE),
            "a": rng.normal(size=n),
            "c": rng.choice(["u", "v"], size=n),
            "y": np.tile([0, 1], n // 2),
        }
    )


def _run(
    root: Path,
    values: list[str],
    artifact_root: str,
    before: Callable[[RunPlan], None] | None = None,
) -> tuple[RunStore, str]:
    run_dir = root / uuid.uuid4().hex[:8]
    (run_dir / "data").mkdir(parents=True)
    data = run_dir / "data" / "d.parquet"
    _frame(values).to_parquet(data)
    cfg: dict[str, Any] = base()
    cfg["data"]["path"] = str(data)
    cfg["split"]["strategy"] = "stratified"
    cfg["fanout"] = {"by": "merchant", "min_rows": 5, "include_global": True, "max_members": None}
    cfg["store"] = {"url": f"sqlite:///{run_dir / 'runs.db'}", "artifact_root": artifact_root}
    sweep_id = "s-" + uuid.uuid4().hex[:6]
    full = OmegaConf.merge(OmegaConf.structured(TrainConfig), cfg)  # the schema's defaults
    plan = plan_run(full, sweep_id=sweep_id, job_num=0, overrides=[], workers=1)
    if before is not None:
        before(plan)
    execute_sweep(
        [plan], LocalBackend(workers=1, progress=False), experiment="t", sweep_overrides=[]
    )
    return RunStore(cfg["store"]["url"]), sweep_id


def _assert_every_member_recorded_once(store: RunStore, sweep_id: str, values: list[str]) -> None:
    members = store.members(sweep_id=sweep_id)
    recorded = [m.member_value for m in members]
    assert sorted(recorded, key=repr) == sorted([None, *values], key=repr)
    assert len({m.id for m in members}) == len(members)
    assert all(m.state == "succeeded" for m in members), [
        (m.member_value, m.reason) for m in members
    ]
    assert store.sweep(sweep_id).state in ("succeeded", "failed")
    assert all(m.state in FINISHED_STATES for m in members)


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(values=values_strategy)
def test_any_values_on_a_local_root_stay_under_it(workdir: Path, values: list[str]) -> None:
    outside = workdir.parents[1]
    before = _files(outside)
    artifacts = workdir / "deep" / "artifacts"
    store, sweep_id = _run(workdir, values, str(artifacts))
    try:
        _assert_every_member_recorded_once(store, sweep_id, values)
    finally:
        store.close()
    written = _files(outside) - before
    stray = [
        p
        for p in written
        if not p.is_relative_to(artifacts)
        and p.suffix not in (".parquet", ".db", ".db-wal", ".db-shm")
        and not p.name.startswith("runs.db")
    ]
    assert not stray, stray
    assert any(p.name == "model.pkl" for p in written)


@SETTINGS
@given(values=values_strategy)
def test_any_values_on_an_fsspec_root_stay_under_it(workdir: Path, values: list[str]) -> None:
    memory = fsspec.filesystem("memory")
    before = set(memory.find("/"))
    prefix = f"/railyard-{uuid.uuid4().hex[:8]}/artifacts"
    store, sweep_id = _run(workdir, values, f"memory://{prefix}")
    try:
        _assert_every_member_recorded_once(store, sweep_id, values)
    finally:
        store.close()
    written = set(memory.find("/")) - before
    assert written and all(p.startswith(prefix + "/") for p in written), written
    assert not any("/../" in p or p.endswith("/..") for p in written)
    assert sum(p.endswith("/model.pkl") for p in written) == len(values) + 1


def test_a_member_that_cannot_write_fails_alone_and_the_sweep_closes(workdir: Path) -> None:
    """A real write failure: the member's artifact directory is taken by a file."""
    artifacts = workdir / "artifacts"

    def block(plan: RunPlan) -> None:
        member = next(m for m in plan.members if m.value == "m002")
        taken = artifacts / plan.sweep_id / plan.run_id / "members" / member.key
        taken.parent.mkdir(parents=True)
        taken.write_text("not a directory")

    store, sweep_id = _run(workdir, ["m001", "m002", "m003"], str(artifacts), before=block)
    try:
        members = {m.member_value: m for m in store.members(sweep_id=sweep_id)}
        assert members["m002"].state == "failed"
        assert "writing artifacts failed: StorageError: Cannot write" in members["m002"].reason
        assert "File exists" in members["m002"].reason
        # Its one reason: with the store reached, no outcome file is written after it.
        assert "outcome" not in members["m002"].reason
        assert {v: m.state for v, m in members.items() if v != "m002"} == {
            None: "succeeded",
            "m001": "succeeded",
            "m003": "succeeded",
        }
        assert store.sweep(sweep_id).state == "failed"
        assert store.sweep(sweep_id).finished_at
    finally:
        store.close()


HOSTILE = ["../../../escaped", "__global__", "x" * 300, "[red]m[/red]\x1b[2J", "a/b", ""]


def test_hostile_merchant_ids_through_the_cli(tmp_path: Path) -> None:
    """The real CLI on a dataset whose merchant ids are hostile: every member trains, is shown
    with its raw value, and nothing lands outside the artifact root."""
    from tests.conftest import make_project

    project = make_project(tmp_path / "proj", rows=3000, merchants=6)
    data = project.root / "data" / "transactions.parquet"
    frame = pd.read_parquet(data)
    ids = sorted(frame["merchant_id"].unique())
    frame["merchant_id"] = frame["merchant_id"].map(dict(zip(ids, HOSTILE, strict=True)))
    frame.to_parquet(data)
    before = _files(tmp_path)
    result = project.run(
        "fanout.by=merchant_id",
        "fanout.min_rows=50",
        "execution.progress=false",
        "execution.workers=2",
    )
    assert result.returncode == 0, result.stderr
    shown = project.run("runs", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    members = json.loads(shown.stdout)["members"]
    assert sorted((m["member_value"] for m in members), key=repr) == sorted(
        [None, *HOSTILE], key=repr
    )
    assert all(m["state"] == "succeeded" for m in members)
    allowed = (project.root / "runs", project.root / "outputs")  # the roots; Hydra's own log
    stray = [p for p in _files(tmp_path) - before if not p.is_relative_to(allowed[0])]
    stray = [p for p in stray if not p.is_relative_to(allowed[1])]
    assert not stray, stray
    table = project.run("runs", "show")
    assert table.returncode == 0, table.stderr
    assert "\x1b[2J" not in table.stdout  # control characters are shown escaped, not sent
    assert "[red]m[/red]\\x1b[2J" in table.stdout  # shown as its repr, not read as markup
