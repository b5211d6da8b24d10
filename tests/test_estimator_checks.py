"""Estimator checks remembered by a plan (railyard_batch/config/estimator_checks.py): a check
that passed is not run again while its target, parameters, allowed modules and library
versions stay the same (a fresh process then never imports scikit-learn); a failed check is
never remembered; user code is always checked; any record or value is safe."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railyard_batch.config.estimator_checks import CHECKS_FILE, EstimatorChecks
from railyard_batch.config.validate import validate_config
from railyard_batch.errors import ConfigError
from tests.test_config_validation import base

REPO = Path(__file__).resolve().parents[1]

VALIDATE = """
import json, sys
from pathlib import Path
from railyard_batch.config.estimator_checks import EstimatorChecks
from railyard_batch.config.validate import validate_config
checks = EstimatorChecks(Path(sys.argv[1]))
validate_config(json.loads(sys.argv[2]), checks)
checks.save()
print(json.dumps({"sklearn": "sklearn" in sys.modules}))
"""


def _validate_in_a_fresh_process(root: Path, config: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", VALIDATE, str(root), json.dumps(config)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    found: dict[str, Any] = json.loads(proc.stdout)
    return found


def test_a_passed_check_is_not_run_again_and_a_change_runs_it(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    config = base()
    assert _validate_in_a_fresh_process(tmp_path, config) == {"sklearn": True}
    assert len(json.loads((tmp_path / CHECKS_FILE).read_text())) == 1
    assert _validate_in_a_fresh_process(tmp_path, config) == {"sklearn": False}

    config["estimator"]["C"] = 0.5  # another parameter value: checked, then remembered too
    assert _validate_in_a_fresh_process(tmp_path, config) == {"sklearn": True}
    assert len(json.loads((tmp_path / CHECKS_FILE).read_text())) == 2


def test_a_failed_check_is_never_remembered(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    checks = EstimatorChecks(tmp_path)
    bad = base()
    bad["estimator"]["C"] = -1.0
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"'estimator\.C' parameter"):
            validate_config(bad, checks)
    checks.save()
    assert not (tmp_path / CHECKS_FILE).exists()


def test_what_decides_a_check_is_in_its_key() -> None:
    estimator = {"_target_": "sklearn.linear_model.LogisticRegression", "C": 1.0}
    key = EstimatorChecks.key(estimator, ("sklearn",))
    assert key is not None and key == EstimatorChecks.key(dict(estimator), ("sklearn",))
    assert key != EstimatorChecks.key({**estimator, "C": 2.0}, ("sklearn",))
    assert key != EstimatorChecks.key(estimator, ("sklearn", "pipelines"))
    # User code changes without a version: never remembered.
    assert EstimatorChecks.key({"_target_": "pipelines.models.Mine"}, ("pipelines",)) is None


def test_a_record_that_is_not_ours_is_ignored_and_a_project_without_dvc_keeps_none(
    tmp_path: Path,
) -> None:
    (tmp_path / ".dvc" / "tmp").mkdir(parents=True)
    (tmp_path / CHECKS_FILE).write_text('{"not": "a list"')
    checks = EstimatorChecks(tmp_path)
    validate_config(base(), checks)  # checked for real, then recorded afresh
    checks.save()
    assert len(json.loads((tmp_path / CHECKS_FILE).read_text())) == 1

    plain = tmp_path / "plain"
    plain.mkdir()
    elsewhere = EstimatorChecks(plain)
    validate_config(base(), elsewhere)
    elsewhere.save()
    assert not (plain / CHECKS_FILE).exists()


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    target=st.text(max_size=40) | st.sampled_from(["sklearn.svm.SVC", "xgboost.XGBClassifier"]),
    params=st.dictionaries(st.text(max_size=10), _JSONISH | st.binary(max_size=4), max_size=4),
)
def test_any_estimator_value_gets_a_key_or_none_and_never_raises(
    target: str, params: dict[str, Any]
) -> None:
    key = EstimatorChecks.key({"_target_": target, **params}, ("sklearn", "xgboost"))
    assert key is None or (len(key) == 64 and target.split(".", 1)[0] in ("sklearn", "xgboost"))
