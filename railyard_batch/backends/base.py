"""The backend protocol: take run plans (already recorded in the store), run every shard."""

from __future__ import annotations

from typing import Protocol

from railyard_batch.planning import RunPlan


class Backend(Protocol):
    #: Recorded on the sweep ("local", "kubernetes").
    name: str

    def execute(self, plans: list[RunPlan]) -> None:
        """Run every shard of every plan; outcomes land in the run store. Returns when done."""
        ...
