"""Members come from the data; shards are balanced."""

from __future__ import annotations

import pandas as pd

from railyard_batch.config.validate import ValidatedConfig
from railyard_batch.planning.plan import GLOBAL_KEY, assign_shards, plan_members


def config(**fanout: object) -> ValidatedConfig:
    base = {"by": "merchant", "min_rows": 3, "include_global": True, "max_members": None}
    return ValidatedConfig(raw={"fanout": {**base, **fanout}}, config_hash="x")


FRAME = pd.DataFrame({"merchant": ["a"] * 5 + ["b"] * 3 + ["c"] * 2 + ["d"] * 7})


def test_members_are_values_with_enough_rows_largest_first_plus_global() -> None:
    members, below = plan_members(FRAME, config())
    assert members == [(GLOBAL_KEY, None, 17), ("d", "d", 7), ("a", "a", 5), ("b", "b", 3)]
    assert below == 1


def test_max_members_keeps_the_largest_and_global_can_be_left_out() -> None:
    members, _ = plan_members(FRAME, config(max_members=2, include_global=False))
    assert [key for key, _, _ in members] == ["d", "a"]


def test_no_fanout_is_one_global_member() -> None:
    members, below = plan_members(FRAME, config(by=None))
    assert members == [(GLOBAL_KEY, None, 17)] and below == 0


def test_shards_are_balanced_by_rows() -> None:
    sizes = [1000] + [10] * 300
    shards = assign_shards(sizes, 4)
    loads = [
        sum(s + 400 for s, k in zip(sizes, shards, strict=True) if k == shard) for shard in range(4)
    ]
    assert max(loads) - min(loads) <= 1400
    assert shards[0] != shards[1]  # the big member is not stacked with the first small one


def test_never_more_shards_than_members() -> None:
    assert sorted(set(assign_shards([5, 5], 8))) == [0, 1]
