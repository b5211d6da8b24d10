"""Composition configs from anyone: whatever YAML-able value sits under whatever key, parsing
either gives a composition whose weights are finite and sum to 1, or one ConfigError line
naming a composition key; never another exception."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from railyard_batch.compositions.spec import parse
from railyard_batch.errors import ConfigError

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
KEYS = st.sampled_from(["kind", "fallback", "member", "weights", "extra"]) | st.text(max_size=6)
MEMBER = st.dictionaries(
    st.sampled_from(["min_holdout_rows", "min_pr_auc", "require_parity", "x"]), VALUES, max_size=3
)


def _check(raw: dict[str, Any]) -> None:
    try:
        spec = parse("c", raw)
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith(("composition key '", "composition key"))
        return
    w = spec.member_weight
    assert math.isfinite(w) and 0.0 <= w <= 1.0
    assert spec.kind in ("route", "blend") and spec.fallback == "global"
    assert spec.member.min_holdout_rows >= 0


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=5))
def test_any_config_is_a_composition_or_one_line(raw: dict[str, Any]) -> None:
    _check(raw)


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(["route", "blend"]),
    member=MEMBER,
    weights=st.dictionaries(st.sampled_from(["member", "global", "x"]), VALUES, max_size=3),
)
def test_near_valid_configs_are_a_composition_or_one_line(
    kind: str, member: dict[str, Any], weights: dict[str, Any]
) -> None:
    raw: dict[str, Any] = {"kind": kind, "member": member}
    if kind == "blend":
        raw["weights"] = weights
    _check(raw)
