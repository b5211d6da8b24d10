"""The backend protocol: take run plans (already recorded in the store), run every shard."""

from __future__ import annotations

from typing import Protocol

from railyard_batch.planning import RunPlan


class Backend(Protocol):
    #: Recorded on the sweep ("local", "kubernetes").
    name: str
    #: True when members run under the launching process (which then holds the sweep's lease,
    #: railyard_batch/leases.py); False when they run elsewhere (a cluster owns them).
    leased: bool

    def execute(self, plans: list[RunPlan]) -> bool:
        """Run every shard of every plan; outcomes land in the run store. True when every
        shard has finished; False when the work goes on elsewhere (submitted, not waited for:
        whoever waits later closes the sweep)."""
        ...
