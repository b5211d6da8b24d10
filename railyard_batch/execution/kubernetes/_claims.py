"""Claiming a sweep's members before its Jobs are sent, so that two sweeps never train the
same content key at once (issue 16).

Pods cannot reach the run store, so on Kubernetes the launcher claims for them, as a local
worker claims its shard's members (:meth:`RunStore.claim_members`, one transaction):

- a member whose content key another sweep has finished meanwhile is recorded as cached from
  it, and a member already finished (a re-submitted sweep) keeps its result: neither runs;
- a member that a live holder (a local worker, another sweep's launcher) is training waits
  for that result: the launcher asks again every ``poll_s`` seconds and submits once none waits, taking
  the key over if its holder's lease expires;
- every other member is leased to this launcher and runs: the plan is re-sharded over those
  members only (and re-written, so that ``status`` and ``wait`` follow the same shards).

A launcher that waits for its Jobs renews its members' leases (one write per beat, whatever
their number); one that does not (``wait=false``) leases them for the Jobs' active deadline,
since nobody renews them. Either way ``status`` and ``wait`` record what the pods did.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from railyard_batch.planning.plan import RunPlan, assign_shards
from railyard_batch.recording.store import RunStore

Decisions = dict[str, tuple[str, str | None]]


class Claims:
    """The member ids a launcher holds (what its heartbeat renews)."""

    def __init__(self) -> None:
        self._held: list[str] = []
        self._lock = threading.Lock()

    def add(self, ids: list[str]) -> None:
        with self._lock:
            self._held.extend(ids)

    def held(self) -> list[str]:
        with self._lock:
            return list(self._held)


def claim_for_jobs(
    plans: list[RunPlan],
    store: RunStore,
    *,
    owner: str,
    lease_s: float,
    poll_s: float,
    claims: Claims,
    err: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[RunPlan]:
    """Claim the members of ``plans`` that would run; return the plans to submit, each
    narrowed to the members this launcher now holds (the same plan object when nothing
    changed). Waits while a live holder trains one of their content keys."""
    force = plans[0].typed.execution.force
    pending = [(m.id, m.content_key) for p in plans for m in p.members if m.shard >= 0]
    train: set[str] = set()
    cached: dict[str, str] = {}
    told = False
    while pending:
        decisions: Decisions = store.claim_members(
            pending, owner=owner, lease_s=lease_s, reuse=not force, adopt_sweep=plans[0].sweep_id
        )
        waiting = []
        for mid, key in pending:
            decision, other = decisions[mid]
            if decision == "train":
                train.add(mid)
                claims.add([mid])
            elif decision == "cached":
                cached[mid] = str(other)
            elif decision == "wait":
                waiting.append((mid, key))
        pending = waiting
        if pending:
            if not told:
                peers = sorted({str(decisions[mid][1]) for mid, _ in pending})
                print(
                    f"{len(pending)} member(s) of sweep {plans[0].sweep_id} have the content key "
                    f"of member(s) another sweep is training ({', '.join(peers[:3])}"
                    f"{', ...' if len(peers) > 3 else ''}); waiting for their results before "
                    "submitting",
                    file=err or sys.stderr,
                )
                told = True
            sleep(poll_s)
    return [narrow(p, train, cached) for p in plans]


def narrow(plan: RunPlan, train: set[str], cached: dict[str, str]) -> RunPlan:
    """``plan`` with only the members in ``train`` sharded (the others get shard -1, those in
    ``cached`` with their origin), over at most as many shards as before."""
    runs = [m for m in plan.members if m.shard >= 0]
    if all(m.id in train for m in runs):
        return plan
    keep = [m for m in runs if m.id in train]
    shards = dict(
        zip(
            (m.id for m in keep),
            assign_shards([m.n_rows for m in keep], plan.n_shards) if keep else [],
            strict=True,
        )
    )
    members = [
        dataclasses.replace(
            m,
            shard=shards.get(m.id, -1),
            cached_from=cached.get(m.id, m.cached_from),
        )
        for m in plan.members
    ]
    return dataclasses.replace(plan, members=members, n_shards=max(shards.values(), default=-1) + 1)
