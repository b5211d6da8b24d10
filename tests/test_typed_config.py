"""The config as the schema's dataclasses (config/schema.py's typed_config): what a worker
reads from a run plan. A plan's config that does not fit is one ConfigError naming the key."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from railyard_batch.config.schema import SplitConfig, TrainConfig, typed_config
from railyard_batch.errors import ConfigError

MINIMAL: dict[str, Any] = {
    "data": {"path": "data/t.parquet"},
    "label": {"column": "is_fraud"},
    "estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "C": 0.5},
}


def test_a_plain_config_becomes_the_schemas_dataclasses_with_its_defaults() -> None:
    typed = typed_config(
        {**MINIMAL, "split": {"strategy": "time", "time_column": "ts"}, "params": {"k": [1]}}
    )
    assert isinstance(typed, TrainConfig) and isinstance(typed.split, SplitConfig)
    assert (typed.split.strategy, typed.split.time_column) == ("time", "ts")
    assert typed.split.holdout_fraction == 0.2  # the schema's default, not in the input
    assert typed.estimator == MINIMAL["estimator"]  # free-form sections stay plain data
    assert typed.params == {"k": [1]} and type(typed.params) is dict


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"label": {"column": "y"}, "estimator": {}}, "data.path"),
        ({**MINIMAL, "split": {"seed": "soon"}}, "split.seed"),
        ({**MINIMAL, "fanout": {"nope": 1}}, "fanout.nope"),
    ],
)
def test_a_config_that_does_not_fit_names_the_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError, match=rf"^The '{key}' parameter does not fit the schema: "):
        typed_config(raw)


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    section=st.sampled_from(["split", "fanout", "evaluation", "execution", "export", "data"]),
    key=st.text(max_size=20) | st.sampled_from(["seed", "by", "threshold", "force", "path"]),
    value=VALUES,
)
def test_any_value_anywhere_is_typed_or_one_config_error(
    section: str, key: str, value: Any
) -> None:
    raw = {**MINIMAL, section: {**MINIMAL.get(section, {}), key: value}}
    try:
        typed = typed_config(raw)
    except ConfigError as exc:
        assert "\n" not in str(exc) and "does not fit the schema" in str(exc)
    else:
        assert isinstance(typed, TrainConfig)


def test_a_plans_typed_config_is_made_once_and_does_not_travel_with_it(tmp_path: Any) -> None:
    """``RunPlan.typed``: the plan's config as the schema's dataclasses, made once per plan
    object; ``plan.json`` holds the plain config only, and a loaded plan types it again."""
    from railyard_batch.planning.plan import RunPlan
    from tests.k8s_launcher.plans import make_plan

    plan = make_plan(artifact_root=str(tmp_path), resources={"memory": "3Gi"})
    assert plan.typed is plan.typed  # made once
    assert plan.typed.resources.memory == "3Gi" and plan.typed.execution.force is False
    assert "typed" not in plan.to_dict()

    loaded = RunPlan.load(plan.save())
    assert loaded.config == plan.config and loaded.typed == plan.typed
    plan.config["split"] = {"seed": "soon"}  # a plan edited by hand: refused by its key
    with pytest.raises(ConfigError, match=r"split\.seed"):
        _ = RunPlan.from_dict(plan.to_dict()).typed
