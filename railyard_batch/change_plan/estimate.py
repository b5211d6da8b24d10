"""What the members a plan trains will cost, from the durations the run store recorded.

A member that trains (added or changed) takes the recorded duration of a succeeded member with
its content key when there is one; else the median seconds per row of succeeded members of the
same estimator with similar rows (half to twice as many), times its rows; else it has no
estimate (counted as such). A member whose content key already succeeded is counted in
``already_in_store``: the sweep reuses it (state ``cached``) unless run with ``--force``.
CPU and GPU hours are those durations times the member's ``resources.cpu`` and
``resources.gpu``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime
from statistics import median
from typing import Any

from railyard_batch.change_plan.diff import PlanDiff
from railyard_batch.change_plan.revision_sweep import RevisionPlan
from railyard_batch.config.validate import parse_quantity


def _recorded(store_url: str) -> list[tuple[str, str, int, float]]:
    """``(content_key, estimator, rows, seconds)`` of every succeeded member with timestamps,
    from either store backend. A store that does not exist or cannot be read gives none (an
    estimate is advice: a plan must not fail, nor make a store, for want of one)."""
    from sqlalchemy import and_, select
    from sqlalchemy.exc import SQLAlchemyError

    from railyard_batch.recording.engine import open_engine
    from railyard_batch.recording.tables import members, runs
    from railyard_batch.recording.urls import store_exists

    if not store_exists(store_url):
        return []
    query = (
        select(
            members.c.content_key,
            runs.c.estimator,
            members.c.n_rows,
            members.c.started_at,
            members.c.finished_at,
        )
        .join(runs, runs.c.id == members.c.run_id)
        .where(
            and_(
                members.c.state == "succeeded",
                members.c.started_at.is_not(None),
                members.c.finished_at.is_not(None),
            )
        )
    )
    engine = open_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    except SQLAlchemyError:
        return []
    finally:
        engine.dispose()
    out = []
    for key, estimator, n, started, finished in rows:
        seconds = (
            datetime.fromisoformat(finished) - datetime.fromisoformat(started)
        ).total_seconds()
        out.append((str(key), str(estimator).rsplit(".", 1)[-1], int(n or 0), max(seconds, 0.0)))
    return out


def estimate(diff: PlanDiff, new: RevisionPlan, store_url: str) -> dict[str, Any]:
    """Fill each training member's ``seconds`` and return the totals."""
    recorded = _recorded(store_url)
    by_key = {key: took for key, _, _, took in recorded}
    rates: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for _, estimator, n, took in recorded:
        if n > 0:
            rates[estimator].append((n, took / n))
    for series in rates.values():
        series.sort()
    resources = {
        job.estimator.rsplit(".", 1)[-1]: (
            parse_quantity("resources.cpu", job.config["resources"]["cpu"]),
            float(job.config["resources"].get("gpu") or 0),
        )
        for job in new.jobs.values()
    }
    keys = {(job.job, m.key): m.content_key for job in new.jobs.values() for m in job.members}
    total = cpu = gpu = 0.0
    known = unknown = from_key = 0
    for d in diff.members:
        if d.status not in ("added", "changed"):
            continue
        seconds: float | None = by_key.get(keys.get((d.job, d.key), ""))
        if seconds is not None:
            from_key += 1
            d.in_store = True
        else:
            seconds = _similar(rates.get(d.estimator, []), d.n_rows)
        if seconds is None:
            unknown += 1
            continue
        d.seconds = seconds
        known += 1
        total += seconds
        c, g = resources.get(d.estimator, (1.0, 0.0))
        cpu += c * seconds / 3600
        gpu += g * seconds / 3600
    return {
        "members_to_train": known + unknown,
        "estimated_members": known,
        "already_in_store": from_key,
        "without_estimate": unknown,
        "seconds": round(total, 3),
        # four significant digits: round(x, 6) left a small sweep's 4.06e-05 as 4.1e-05
        "cpu_hours": float(f"{cpu:.4g}"),
        "gpu_hours": float(f"{gpu:.4g}"),
    }


def _similar(series: list[tuple[int, float]], rows: int) -> float | None:
    """Median seconds per row of members with half to twice ``rows`` rows, times ``rows``."""
    if not series or rows <= 0:
        return None
    lo = bisect.bisect_left(series, (rows // 2, -1.0))
    hi = bisect.bisect_right(series, (rows * 2, float("inf")))
    near = [rate for _, rate in series[lo:hi]]
    return median(near) * rows if near else None
