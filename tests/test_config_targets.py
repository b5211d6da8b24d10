"""``_target_``s are checked before anything they name is imported or called (issue 10)."""

from __future__ import annotations

import builtins
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from railyard_batch.config.targets import resolve_target
from railyard_batch.config.validate import validate_config
from railyard_batch.errors import ConfigError
from tests.test_config_validation import base

# Audit events of the standard library that run commands, kill, delete or write files.
_DANGEROUS = (
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.kill",
    "os.remove",
    "os.rmdir",
    "os.rename",
    "os.truncate",
    "os.chmod",
    "os.chown",
    "shutil.rmtree",
    "shutil.move",
    "subprocess.Popen",
    "socket.connect",
    "ctypes.dlopen",
)
_SEEN: list[str] = []
_RECORDING = [False]


def _audit(event: str, _args: tuple[Any, ...]) -> None:
    if _RECORDING[0] and event.startswith(_DANGEROUS):
        _SEEN.append(event)


sys.addaudithook(_audit)  # a real sentinel: the interpreter reports every such call


def _stdlib_callables() -> list[str]:
    names = []
    for module in (os, shutil, subprocess, builtins, tempfile):
        for attr, obj in sorted(vars(module).items()):
            if not attr.startswith("_") and callable(obj):
                names.append(f"{module.__name__}.{attr}")
    return names


STDLIB = _stdlib_callables()


def _validate_with(target: str, key: str, allowed: list[str], *, must_refuse: bool) -> None:
    cfg = base()
    cfg["targets"] = {"allowed_modules": allowed}
    if key == "estimator":
        cfg["estimator"] = {"_target_": target, "C": 1.0}
    elif key == "hook":
        cfg["hook"] = target
    else:
        cfg["features"]["transformer"] = {"_target_": target, "path": "/"}
    _SEEN.clear()
    _RECORDING[0] = True
    error: ConfigError | None = None
    try:
        validate_config(cfg)
    except ConfigError as exc:
        error = exc
    finally:
        _RECORDING[0] = False
    assert _SEEN == [], f"{target} ran {_SEEN} while the config was checked"
    if must_refuse:
        assert error is not None, f"{target} was accepted as {key}"
    if error is not None:
        assert "\n" not in str(error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(STDLIB),
    key=st.sampled_from(["estimator", "hook", "transformer"]),
    allow_stdlib=st.booleans(),
)
def test_no_stdlib_callable_is_ever_invoked(target: str, key: str, allow_stdlib: bool) -> None:
    # Even with the stdlib module allowed, a function or a non-estimator class is refused.
    allowed = [
        "sklearn",
        "pipelines",
        *(["os", "posix", "shutil", "subprocess", "builtins", "tempfile"] if allow_stdlib else []),
    ]
    # A function of an allowed non-library module may be a hook (user code, never called while
    # checking); everything else must be refused.
    _validate_with(target, key, allowed, must_refuse=not allow_stdlib or key == "estimator")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_string_as_a_target_is_one_clean_error(target: str) -> None:
    cfg = base()
    cfg["estimator"] = {"_target_": target}
    with pytest.raises(ConfigError) as info:
        validate_config(cfg)
    assert "estimator._target_" in str(info.value)


def test_a_module_outside_the_allow_list_is_not_even_imported() -> None:
    assert "antigravity" not in sys.modules
    with pytest.raises(ConfigError, match=r"targets\.allowed_modules"):
        resolve_target("antigravity.geohash", "hook", kind="hook", allowed=["pipelines"])
    assert "antigravity" not in sys.modules


def test_a_reexport_from_an_allowed_module_is_refused() -> None:
    # pipelines.fraud imports LogisticRegression; its origin, not the path, decides.
    with pytest.raises(ConfigError, match="defined outside"):
        resolve_target(
            "pipelines.fraud.LogisticRegression",
            "estimator._target_",
            kind="estimator",
            allowed=["pipelines"],
        )


@pytest.mark.parametrize(
    ("target", "kind", "message"),
    [
        ("sklearn.utils.Bunch", "estimator", "estimator class"),
        ("sklearn.metrics.roc_auc_score", "estimator", "estimator class"),
        ("sklearn.linear_model.LogisticRegression", "hook", "function train"),
        ("sklearn.base.clone", "transformer", "transformer class"),
        ("xgboost.XGBClassifier", "transformer", "transformer class"),
    ],
)
def test_the_object_must_be_what_the_key_asks_for(target: str, kind: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_target(target, "k", kind=kind, allowed=["sklearn", "xgboost"])


def test_allowed_targets_resolve() -> None:
    import xgboost
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from pipelines.fraud import log_amount_features, train

    allowed = ["sklearn", "xgboost", "pipelines"]
    assert resolve_target("xgboost.XGBClassifier", "e", kind="estimator", allowed=allowed) is (
        xgboost.XGBClassifier
    )
    got = resolve_target(
        "sklearn.linear_model.LogisticRegression", "e", kind="estimator", allowed=allowed
    )
    assert got is LogisticRegression
    assert (
        resolve_target(
            "sklearn.preprocessing.StandardScaler", "t", kind="transformer", allowed=allowed
        )
        is StandardScaler
    )
    assert (
        resolve_target(
            "pipelines.fraud.log_amount_features", "t", kind="transformer", allowed=allowed
        )
        is log_amount_features
    )
    assert resolve_target("pipelines.fraud:train", "hook", kind="hook", allowed=allowed) is train


def test_nested_transformer_targets_are_checked() -> None:
    cfg = base()
    cfg["features"]["transformer"] = {
        "_target_": "sklearn.compose.ColumnTransformer",
        "transformers": [["x", {"_target_": "os.system", "command": "true"}, ["a"]]],
    }
    with pytest.raises(ConfigError, match=r"features.transformer.transformers\[0\]\[1\]._target_"):
        validate_config(cfg)
