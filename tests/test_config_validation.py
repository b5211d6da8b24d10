"""Data-free config checks, in process: each names the key, the allowed values, the value."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railyard_batch.config.keys import known_keys
from railyard_batch.config.validate import parse_quantity, validate_config
from railyard_batch.errors import ConfigError, UnknownTargetError


def base() -> dict:  # type: ignore[type-arg]
    return {
        "experiment": "t",
        "data": {"path": "d.parquet", "format": "parquet"},
        "features": {"numeric": ["a"], "categorical": ["c"], "transformer": None},
        "label": {"column": "y", "task": "binary_classification"},
        "split": {
            "strategy": "random",
            "holdout_fraction": 0.2,
            "seed": 0,
            "time_column": None,
            "cutoff": None,
            "group_column": None,
        },
        "estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "C": 1.0},
        "evaluation": {"metrics": [], "threshold": 0.5, "objective": None},
        "resources": {"cpu": "500m", "memory": "2Gi", "gpu": 0, "instance_class": "cpu"},
        "params": {},
        "fanout": {"by": None, "min_rows": 10, "include_global": True, "max_members": None},
        "hook": None,
        "store": {"url": "sqlite:///x.db", "artifact_root": "a"},
        "execution": {"workers": 0, "shards_per_worker": 4, "progress": False},
    }


def test_a_valid_config_passes_and_hashes_stably() -> None:
    first, second = validate_config(base()), validate_config(base())
    assert first.config_hash == second.config_hash
    changed = base()
    changed["estimator"]["C"] = 2.0
    assert validate_config(changed).config_hash != first.config_hash


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("data", "format"), "xlsx", "'data.format' parameter must be one of {'csv', 'parquet'}"),
        (("split", "holdout_fraction"), 1.5, "'split.holdout_fraction'"),
        (("split", "strategy"), "time", "'split.time_column' parameter is required"),
        (("evaluation", "metrics"), ["rmse"], "'evaluation.metrics' parameter must be one of"),
        (("evaluation", "threshold"), 0, "'evaluation.threshold'"),
        (("resources", "gpu"), -1, "'resources.gpu' parameter must be an integer >= 0. Got -1."),
        (("resources", "gpu"), 1, "'resources.instance_class' parameter must be 'gpu'"),
        (("fanout", "min_rows"), 0, "'fanout.min_rows' parameter must be >= 1. Got 0."),
        (("hook",), "pipelines.nowhere:train", "'hook' parameter names a module"),
        (("estimator",), {"C": 1}, "'estimator' parameter must be a mapping with a '_target_'"),
    ],
)
def test_bad_values_are_named(path: tuple[str, ...], value: object, message: str) -> None:
    cfg = base()
    node = cfg
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError) as info:
        validate_config(cfg)
    assert message in str(info.value)


def test_unknown_target_is_its_own_error_and_a_value_error() -> None:
    cfg = base()
    cfg["estimator"]["_target_"] = "xgboost.NoSuchThing"
    with pytest.raises(UnknownTargetError, match="names nothing in module 'xgboost'"):
        validate_config(cfg)
    with pytest.raises(ValueError):
        validate_config(cfg)


@pytest.mark.parametrize(
    ("text", "value"), [("500m", 0.5), ("2", 2.0), ("4Gi", 4 * 2**30), ("1.5G", 1.5e9)]
)
def test_quantities_parse(text: str, value: float) -> None:
    assert parse_quantity("k", text) == value


@pytest.mark.parametrize("text", ["-1", "0", "lots", "1.5Gb", ""])
def test_bad_quantities_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="positive Kubernetes quantity"):
        parse_quantity("resources.memory", text)


SECTIONS = ["data", "split", "fanout", "execution", "store", "resources", "evaluation", "label"]


@settings(max_examples=60, deadline=None)
@given(
    section=st.sampled_from(["", *SECTIONS]),
    name=st.text(min_size=1, max_size=30),
    value=st.one_of(
        st.integers(),
        st.text(max_size=5),
        st.none(),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    ),
)
def test_any_unknown_key_is_refused_naming_it(section: str, name: str, value: object) -> None:
    """Issue 10: whatever the name of a key the schema does not know ('+section.name=value'),
    validation refuses it on one line naming the full key."""
    known = known_keys(section) + (["hydra"] if not section else [])
    if name in known:
        return
    cfg = base()
    (cfg[section] if section else cfg)[name] = value
    with pytest.raises(ConfigError) as info:
        validate_config(cfg)
    message = str(info.value)
    full = f"{section}.{name}" if section else name
    assert message.startswith("Unknown config key ")
    assert (f"'{full}'" if full.isprintable() and "'" not in full else repr(full)) in message
    assert "\n" not in message


def test_free_form_places_stay_open_and_extra_columns_is_known() -> None:
    cfg = base()
    cfg["params"] = {"anything": {"nested": [1, 2]}}
    cfg["data"]["extra_columns"] = ["merchant_id"]
    cfg["features"]["transformer"] = None
    cfg["hydra"] = {"job": {"name": "x"}}
    assert "merchant_id" in validate_config(cfg).needed_columns()


XGB = {"_target_": "xgboost.XGBClassifier", "n_estimators": 5, "tree_method": "hist"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_estimator": 5}, "'estimator.n_estimator' parameter is not accepted by "),
        (
            {"n_estimators": 0},
            "'estimator.n_estimators' parameter of xgboost.XGBClassifier must be an int >= 1. Got 0.",
        ),
        ({"n_estimators": 2.5}, "must be an int >= 1. Got 2.5."),
        (
            {"max_depth": -1},
            "'estimator.max_depth' parameter of xgboost.XGBClassifier must be an int >= 0",
        ),
        ({"learning_rate": 0}, "'estimator.learning_rate'"),
        (
            {"eta": 1.5},
            "'estimator.eta' parameter of xgboost.XGBClassifier must be a float in the range (0, 1]",
        ),
        ({"subsample": 0}, "'estimator.subsample'"),
        ({"colsample_bytree": 2}, "'estimator.colsample_bytree'"),
        ({"min_child_weight": -1}, "'estimator.min_child_weight'"),
        ({"gamma": -0.1}, "'estimator.gamma'"),
        ({"reg_alpha": -1}, "'estimator.reg_alpha'"),
        ({"lambda": -1}, "'estimator.lambda'"),
    ],
)
def test_xgboost_params_are_checked_by_name_and_range(params: dict, message: str) -> None:  # type: ignore[type-arg]
    """Issue 10: XGBoost takes **kwargs, so names and ranges are checked before it trains."""
    cfg = base()
    cfg["estimator"] = {**XGB, **params}
    with pytest.raises(ConfigError) as info:
        validate_config(cfg)
    assert message in str(info.value)


def test_valid_xgboost_params_and_booster_aliases_pass() -> None:
    cfg = base()
    cfg["estimator"] = {**XGB, "eta": 0.3, "lambda": 1.0, "subsample": 0.8, "max_depth": 0}
    validate_config(cfg)


def test_sklearn_constraint_errors_name_the_estimator_key() -> None:
    cfg = base()
    cfg["estimator"]["max_iter"] = -3
    with pytest.raises(ConfigError) as info:
        validate_config(cfg)
    text = str(info.value)
    assert text.startswith("The 'estimator.max_iter' parameter of sklearn.linear_model.")
    assert "Got -3." in text and "\n" not in text
