"""Bad input through the real CLI: one line naming the key, what is allowed and what was
received; a non-zero exit; no traceback; no member recorded as succeeded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, Project, Result

REPO_CONF = REPO / "conf"

# Where a run may write: the run store and artifact root (runs/) and Hydra's own output
# directories. Anything else that appears in the project after a refused run is a leak.
ALLOWED_OUTPUTS = ("runs", "outputs", "multirun")
SENTINEL_CODE = """
from pathlib import Path

MARK = Path(__file__).resolve().parents[1] / "SENTINEL_CALLED"


def touch(*args, **kwargs):
    MARK.write_text("function called")


class NotAnEstimator:
    # Has fit but neither predict nor predict_proba: must be refused before it is built.
    def __init__(self, *args, **kwargs):
        MARK.write_text("class instantiated")

    def fit(self, X, y):
        return self
"""


def files_outside_outputs(project: Project) -> set[str]:
    return {
        str(path.relative_to(project.root))
        for path in project.root.rglob("*")
        if path.is_file()
        and path.relative_to(project.root).parts[0] not in ALLOWED_OUTPUTS
        and "__pycache__" not in path.parts
    }


@pytest.fixture
def project(project: Project) -> Project:
    """The small project, with a sentinel module in its user code that leaves a file behind
    when any of its callables runs."""
    (project.root / "pipelines" / "sentinel.py").write_text(SENTINEL_CODE)
    return project


def assert_clean_error(project: Project, result, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    """The bad-input contract: exit 2, one line on stderr naming what is wrong, no traceback,
    nothing recorded as succeeded, nothing written outside the run's own output places, and
    no sentinel callable invoked."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, result.stderr)
    db = project.root / "runs" / "railyard.db"
    if db.exists():
        with sqlite3.connect(db) as conn:
            (succeeded,) = conn.execute(
                "SELECT COUNT(*) FROM members WHERE state='succeeded'"
            ).fetchone()
        assert succeeded == 0
    leaked = files_outside_outputs(project) - _BEFORE[project.root]
    assert not leaked, leaked
    assert not (project.root / "SENTINEL_CALLED").exists()


_BEFORE: dict[Path, set[str]] = {}


def refused(project: Project, *args: str) -> Result:
    """Run the CLI, remembering which files the project held just before."""
    _BEFORE[project.root] = files_outside_outputs(project)
    return project.run(*args)


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "Error" in line]
    assert lines, stderr
    return lines[-1]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        (
            ["estimator._target_=sklearn.linear_model.NoSuchModel"],
            ["UnknownTargetError", "estimator._target_", "NoSuchModel"],
        ),
        (
            ["estimator._target_=os.system"],
            ["ConfigError", "estimator._target_", "targets.allowed_modules", "'os.system'"],
        ),
        (
            ["estimator._target_=sklearn.utils.Bunch"],
            ["ConfigError", "estimator._target_", "estimator class", "'sklearn.utils.Bunch'"],
        ),
        (["+estimator.bogus=1"], ["ConfigError", "'estimator.bogus' parameter", "allowed:"]),
        (["estimator.C=-1"], ["ConfigError", "'estimator.C' parameter", "(0.0, inf]", "Got -1"]),
        # Issue 10: XGBoost takes **kwargs; its names and ranges are checked before training.
        (
            ["estimator=xgboost", "+estimator.n_estimator=5"],
            ["ConfigError", "'estimator.n_estimator'", "did you mean 'estimator.n_estimators'?"],
        ),
        (
            ["estimator=xgboost", "estimator.n_estimators=-5"],
            ["ConfigError", "'estimator.n_estimators'", "an int >= 1", "Got -5"],
        ),
        (
            ["features.numeric=[amount,no_such_column]"],
            ["DataError", "'no_such_column'", "features.numeric", "available columns"],
        ),
        (["label.column=no_label"], ["DataError", "'no_label'", "label.column"]),
        (
            ["split.strategy=rnd"],
            ["ConfigError", "'split.strategy'", "'random'", "'stratified'", "Got 'rnd'"],
        ),
        (
            ["split.strategy=time", "split.time_column=timestamp", "split.cutoff=2031-01-01"],
            ["ConfigError", "split.cutoff", "holdout empty", "2031-01-01"],
        ),
        (["resources.cpu=-1"], ["ConfigError", "resources.cpu", "'-1'"]),
        (["resources.memory=lots"], ["ConfigError", "resources.memory", "'lots'"]),
        (
            ["resources.instance_class=tpu"],
            ["ConfigError", "resources.instance_class", "'gpu'", "'tpu'"],
        ),
        (["fanout.by=no_such_column"], ["DataError", "'no_such_column'", "fanout.by"]),
        (["label.task=ranking"], ["ConfigError", "label.task", "'regression'", "'ranking'"]),
        # Issue 10: a user-code callable of the wrong kind is refused before it is called
        # (the sentinel module leaves a file behind if anything of it runs).
        (
            ["estimator._target_=pipelines.sentinel.touch"],
            ["ConfigError", "estimator._target_", "'pipelines.sentinel.touch'"],
        ),
        (
            ["estimator._target_=pipelines.sentinel.NotAnEstimator"],
            ["ConfigError", "estimator._target_", "'pipelines.sentinel.NotAnEstimator'"],
        ),
        (
            ["+hook=pipelines.sentinel.NotAnEstimator"],
            ["ConfigError", "hook", "'pipelines.sentinel.NotAnEstimator'"],
        ),
        # Issue 10: a key the schema does not know, added with '+', is refused with the nearest.
        (
            ["+fanout.min_row=5"],
            [
                "ConfigError",
                "Unknown config key 'fanout.min_row'",
                "did you mean 'fanout.min_rows'?",
            ],
        ),
    ],
)
def test_bad_config_value_is_one_clean_line(
    project: Project, overrides: list[str], fragments: list[str]
) -> None:
    result = refused(project, *overrides, "execution.progress=false")
    assert_clean_error(project, result, *fragments)
    assert result.returncode == 2
    # The message is on one line, prefixed by the error type.
    line = error_line(result.stderr)
    for fragment in fragments:
        assert fragment in line


@pytest.mark.e2e
def test_bad_value_in_one_job_of_a_sweep_runs_nothing(project: Project) -> None:
    result = refused(project, "-m", "estimator.C=1.0,-5", "execution.progress=false")
    assert_clean_error(project, result, "ConfigError", "'estimator.C' parameter")
    assert not (project.root / "runs" / "railyard.db").exists()


@pytest.mark.e2e
def test_malformed_yaml_is_reported_without_traceback(project: Project) -> None:
    (project.root / "conf" / "experiment" / "broken.yaml").write_text(
        "# @package _global_\nfanout: {by: merchant_id\nsplit: [\n"
    )
    result = refused(project, "+experiment=broken")
    assert_clean_error(project, result, "broken.yaml")


@pytest.mark.e2e
def test_unknown_config_group_option_lists_the_choices(project: Project) -> None:
    result = refused(project, "estimator=nope")
    assert_clean_error(project, result, "estimator/nope", "logistic_regression", "xgboost")


@pytest.mark.e2e
@pytest.mark.parametrize("override", ["+experiment=0", "estimator=1.5", "estimator=null"])
def test_a_config_group_option_that_is_not_a_name_is_refused(
    project: Project, override: str
) -> None:
    result = refused(project, override)  # Hydra 1.3 alone ends in a ValueError's traceback
    group = override.lstrip("+").partition("=")[0]
    assert_clean_error(project, result, f"The '{group}' config group takes an option name")


@pytest.mark.e2e
def test_label_with_missing_values_is_refused(project: Project) -> None:
    path = project.root / "data" / "transactions.parquet"
    df = pd.read_parquet(path)
    df["is_fraud"] = df["is_fraud"].astype(float)
    df.loc[df.index[::50], "is_fraud"] = np.nan
    df.to_parquet(path)
    result = refused(project, "execution.progress=false")
    assert_clean_error(project, result, "DataError", "'is_fraud'", "label.column", "missing value")


@pytest.mark.e2e
def test_label_with_a_single_class_is_refused(project: Project) -> None:
    path = project.root / "data" / "transactions.parquet"
    df = pd.read_parquet(path)
    df["is_fraud"] = 0
    df.to_parquet(path)
    result = refused(project, "execution.progress=false")
    assert_clean_error(project, result, "DataError", "exactly 2 classes", "Got 1")


@pytest.mark.e2e
def test_missing_dataset_names_the_key_and_the_fix(project: Project) -> None:
    result = refused(project, "data.path=data/absent.parquet")
    assert_clean_error(project, result, "DataError", "'data.path'", "absent.parquet", "dvc")


@pytest.mark.e2e
def test_an_unreachable_cluster_is_one_clean_line(project: Project) -> None:
    """The launcher's own errors (here: no kubeconfig where the config points) leave Hydra's
    job runner as the one-line error of any user mistake, not as a traceback."""
    missing = project.root / "no-such-kubeconfig"
    result = refused(
        project,
        "-m",
        "hydra/launcher=kubernetes",
        f"hydra.launcher.kubeconfig={missing}",
        "execution.progress=false",
    )
    assert result.returncode == 2, result.stderr
    assert_clean_error(project, result, "KubernetesError", "No usable Kubernetes configuration")
    assert str(missing) in error_line(result.stderr)


@pytest.mark.e2e
def test_a_time_column_that_does_not_parse_names_key_column_and_value(project: Project) -> None:
    """Issue 10: refused in planning, before anything trains, not a pandas traceback."""
    path = project.root / "data" / "transactions.parquet"
    df = pd.read_parquet(path)
    df["timestamp"] = df["timestamp"].astype(str)
    df.loc[df.index[17], "timestamp"] = "not-a-date"
    df.to_parquet(path)
    result = refused(
        project, "split.strategy=time", "split.time_column=timestamp", "execution.progress=false"
    )
    assert result.returncode == 2, result.stderr
    fragments = ["DataError", "'timestamp'", "'split.time_column'", "row 17", "'not-a-date'"]
    assert_clean_error(project, result, *fragments)
    line = error_line(result.stderr)
    assert all(fragment in line for fragment in fragments), line
    assert not (project.root / "runs" / "railyard.db").exists()


@pytest.mark.e2e
def test_the_sentinel_sees_a_call(project: Project) -> None:
    """The control for the sentinel cases above: a hook of user code is a legitimate callable,
    called when the member trains, and the sentinel's file shows it was."""
    result = project.run("+hook=pipelines.sentinel.touch", "execution.progress=false")
    assert (project.root / "SENTINEL_CALLED").read_text() == "function called"
    assert result.returncode == 1, result.stderr  # touch returns no model: the member fails


@settings(max_examples=200, deadline=None)
@given(
    group=st.sampled_from(["estimator", "+experiment", "~estimator", "fanout.by", "+x"]),
    value=st.text(max_size=30),
)
def test_any_override_text_is_checked_without_raising(group: str, value: str) -> None:
    """group_choice_error sees every override before Hydra does: whatever the text, it
    answers None or one ConfigError line that names the group, and never raises."""
    from railyard_batch.cli.hydra_errors import group_choice_error
    from railyard_batch.config import register_configs

    register_configs()
    line = group_choice_error(REPO_CONF, [f"{group}={value}"])
    if line is not None:
        assert "\n" not in line and line.startswith("ConfigError: The '"), line
        assert group.lstrip("+~") in line
        assert group.lstrip("+~") in ("estimator", "experiment")


@pytest.mark.parametrize(
    ("launch", "expected"),
    [
        (
            "hydra.launcher.workers=1,2",
            "ConfigError: The '--launch' option sets one value for every training, not a sweep.",
        ),
        ("hydra/launcher=nowhere", "ConfigError: The '--launch' overrides do not compose: "),
        ("=x", "ConfigError: The '--launch' overrides do not compose: "),
    ],
)
def test_serve_refuses_launch_overrides_that_cannot_apply_on_one_line(
    project: Project, launch: str, expected: str
) -> None:
    result = project.run("serve", "--port", "0", f"--launch={launch}", timeout=60)
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line, result.stderr
    assert line.startswith(expected), line


@pytest.mark.parametrize("runs", ["0", "101", "-3"])
def test_schedules_list_refuses_a_run_count_out_of_range_on_one_line(
    project: Project, runs: str
) -> None:
    result = project.run("schedules", "list", f"--runs={runs}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        == f"ConfigError: The '--runs' option must be in [1, 100]. Got {runs}."
    )
