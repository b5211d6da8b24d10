"""Pictures of results people compare: per-member metric distributions, one box per run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from railyard_batch.recording.records import MemberRecord, RunHeader


def compare_plot(
    runs: Sequence[RunHeader], members: Sequence[MemberRecord], metric: str, out: Path
) -> Path:
    """Box plot of ``metric`` over each run's members; the global model as a marker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, values, globals_ = [], [], []
    for run in runs:
        own = [
            (m, m.metrics)
            for m in members
            if m.run_id == run.id and m.metrics and m.metrics.get(metric) is not None
        ]
        per_member = [values[metric] for m, values in own if m.member_key != "__global__"]
        glob = next((values[metric] for m, values in own if m.member_key == "__global__"), None)
        name = (run.estimator or "").rsplit(".", 1)[-1]
        labels.append(f"{name}\n{run.id[-3:]} (n={len(per_member)})")
        values.append(per_member)
        globals_.append(glob)
    fig, ax = plt.subplots(figsize=(max(6.0, 2.2 * len(labels)), 4.5))
    ax.boxplot(values, showfliers=True)
    ax.set_xticks(range(1, len(labels) + 1), labels)
    for i, glob in enumerate(globals_, start=1):
        if glob is not None:
            ax.scatter(
                [i],
                [glob],
                marker="D",
                color="tab:red",
                zorder=3,
                label="global model" if i == 1 else None,
            )
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} per member, by run")
    if any(g is not None for g in globals_):
        ax.legend(loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
