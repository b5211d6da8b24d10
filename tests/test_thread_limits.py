"""Math libraries in a local pool worker use the threads the config gives them, not one per
core: asked inside a real spawn pool process (the one the local backend starts), threadpoolctl
reports the limit for every BLAS and OpenMP library loaded there. The allocator Arrow uses
there is the one the CLI chose, and the frames a hook gets there keep pandas' ``str`` in
Python storage."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from railyard_batch.cli import main as cli
from railyard_batch.cli.main import ARROW_POOL_VAR
from railyard_batch.config.validate import validate_config
from railyard_batch.errors import ConfigError
from railyard_batch.execution.backends import _pool_worker
from railyard_batch.execution.backends.local import _cgroup_quota, default_workers, pinned_pool
from tests.conftest import Project
from tests.test_config_validation import base


def _config(**execution: object) -> dict[str, object]:
    cfg = base()
    cfg["execution"].update(execution)
    return cfg


@pytest.mark.parametrize("threads", [1, 2])
def test_every_library_in_a_pool_worker_has_the_configured_threads(threads: int) -> None:
    before = {name: os.environ.get(name) for name in _pool_worker.THREAD_VARS}
    with pinned_pool(2, threads) as pool:
        reports = [
            pool.submit(_pool_worker.run_probe, _pool_worker.thread_report) for _ in range(4)
        ]
        infos = [r.result(timeout=120) for r in reports]
        # Without the per-task limit: what the environment alone gave at import.
        at_import = pool.submit(_pool_worker.thread_report).result(timeout=120)
    assert {name: os.environ.get(name) for name in _pool_worker.THREAD_VARS} == before
    for info in [*infos, at_import]:
        apis = {lib["user_api"] for lib in info}
        assert {"blas", "openmp"} <= apis, info  # numpy/scipy's BLAS, scikit-learn's OpenMP
        assert all(lib["num_threads"] == threads for lib in info), info


def test_cgroup_quota_caps_the_cores(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert _cgroup_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert _cgroup_quota(tmp_path) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert _cgroup_quota(v1) == 2.0
    assert default_workers(10_000) == 1


@pytest.mark.parametrize("bad", [0, -1, "2", True])
def test_threads_per_worker_is_validated(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"'execution\.threads_per_worker'.*>= 1"):
        validate_config(_config(threads_per_worker=bad))
    validate_config(_config(threads_per_worker=2))


def _arrow_allocator() -> str:
    import pyarrow as pa

    return str(pa.default_memory_pool().backend_name)


def test_the_cli_gives_arrow_the_system_allocator_and_its_pool_workers_inherit_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ARROW_POOL_VAR, "placeholder")  # restored (unset) after the test
    monkeypatch.delenv(ARROW_POOL_VAR)
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert os.environ[ARROW_POOL_VAR] == "system"
    with pinned_pool(1, 1) as pool:  # a fresh interpreter: its pyarrow reads the variable
        assert pool.submit(_arrow_allocator).result(timeout=120) == "system"
    monkeypatch.setenv(ARROW_POOL_VAR, "jemalloc")  # the user's choice wins
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert os.environ[ARROW_POOL_VAR] == "jemalloc"
    assert "railyard-batch" in capsys.readouterr().out


@pytest.mark.e2e
def test_a_hook_in_a_pool_worker_gets_str_columns_in_python_storage(project: Project) -> None:
    """The shard's frames and the labels user code looks up are pandas ``str`` in Python
    storage inside a real pool worker (a lookup through Arrow's storage cost a quarter of a
    trivial member's time, issue 11), with the same values the file holds."""
    seen = project.root / "seen.jsonl"
    (project.root / "pipelines" / "probe.py").write_text(
        "import json, multiprocessing, os\n"
        "import pandas as pd\n"
        "from sklearn.dummy import DummyClassifier\n"
        "def train(train_df, holdout_df, params):\n"
        f"    with open({str(seen)!r}, 'a') as out:\n"
        "        out.write(json.dumps({\n"
        "            'pid': os.getpid(),\n"
        "            'pool': multiprocessing.parent_process() is not None,\n"
        "            'option': pd.get_option('mode.string_storage'),\n"
        "            'columns': [str(train_df.columns.dtype), train_df.columns.dtype.storage],\n"
        "            'merchant': [str(train_df['merchant_id'].dtype),\n"
        "                         train_df['merchant_id'].dtype.storage],\n"
        "            'merchants': sorted(set(train_df['merchant_id'])),\n"
        "        }) + '\\n')\n"
        "    return DummyClassifier().fit(train_df[['amount']], train_df['is_fraud'])\n"
    )
    result = project.run(
        "+experiment=fraud_v3",
        "-m",
        "fanout.by=merchant_id",
        "fanout.min_rows=300",
        "fanout.include_global=false",
        "execution.workers=2",
        "execution.progress=false",
        "hook=pipelines.probe:train",
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in seen.read_text().splitlines()]
    # In real pool processes (spawned by the CLI), not the CLI itself; which of the two
    # workers trains which member is the pool's business, so the count is not asserted.
    assert rows and all(row["pool"] for row in rows), rows
    for row in rows:
        assert row["option"] == "python"
        assert row["columns"] == ["str", "python"]
        assert row["merchant"] == ["str", "python"]
        assert len(row["merchants"]) == 1  # one merchant's rows, the file's values
    file_merchants = set(
        pd.read_parquet(project.root / "data" / "transactions.parquet")["merchant_id"]
    )
    assert {row["merchants"][0] for row in rows} <= file_merchants
