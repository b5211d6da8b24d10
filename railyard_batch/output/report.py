"""Tables people read, and every command's JSON: the summary after a sweep, ``runs list``,
``runs show``, ``runs compare``, ``reproduce``, and the Kubernetes commands' ``status`` and
``schedules list``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from statistics import fmean
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from railyard_batch.recording.url_secrets import redact_override

if TYPE_CHECKING:  # planning imports scikit-learn: not for a reader of the store
    from railyard_batch.planning.plan import RunPlan
    from railyard_batch.recording.records import (
        CompositionRecord,
        MemberRecord,
        RunHeader,
        SweepRecord,
        SweepSummary,
    )

_console = Console()
if not _console.is_terminal:  # logs and pipes: wide enough that ids are not cut
    _console = Console(width=200)
STATE_ORDER = ("succeeded", "cached", "skipped", "failed", "running", "queued")


def _counts_text(counts: dict[str, int]) -> str:
    return "  ".join(f"{s}={counts[s]}" for s in STATE_ORDER if counts.get(s))


def _short_target(target: str) -> str:
    return target.rsplit(".", 1)[-1]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def shown_value(value: Any, width: int = 40) -> Text:
    """A fan-out value as users see it: plain text as is (never read as markup), anything
    with control characters or surrounding spaces as its repr, long values cut."""
    if value is None:
        return Text("(global)")
    text = str(value)
    if not isinstance(value, str) or not text.isprintable() or text != text.strip() or not text:
        text = repr(value)
    return Text(text if len(text) <= width else text[: width - 1] + "…")


def print_sweep_summary(plans: Sequence[RunPlan], summaries: Sequence[Any]) -> None:
    if not plans:
        return
    table = Table(title=f"sweep {plans[0].sweep_id}")
    for column in ("run", "estimator", "overrides", "members", "below min_rows"):
        table.add_column(column)
    for plan, summary in zip(plans, summaries, strict=True):
        table.add_row(
            plan.run_id,
            _short_target(str(plan.typed.estimator["_target_"])),
            " ".join(redact_override(o) for o in plan.overrides),
            _counts_text(summary.counts),
            str(plan.below_min_rows),
        )
    _console.print(table)
    _console.print(f"See every member: railyard-batch runs show {plans[0].sweep_id}")


def sweeps_table(sweeps: Sequence[SweepSummary]) -> Table:
    table = Table(title="sweeps")
    for column in (
        "sweep",
        "experiment",
        "state",
        "runs",
        "members",
        "succeeded",
        "failed",
        "skipped",
        "cached",
        "created",
        "git",
    ):
        table.add_column(column)
    for s in sweeps:
        commit = (s.git_commit or "-")[:8] + ("*" if s.git_dirty else "")
        table.add_row(
            s.id,
            s.experiment,
            s.state,
            str(s.n_runs),
            str(s.n_members),
            str(s.n_succeeded),
            str(s.n_failed),
            str(s.n_skipped),
            str(s.n_cached),
            s.created_at[:19],
            commit,
        )
    return table


def members_table(
    sweep: SweepRecord,
    runs: Sequence[RunHeader],
    members: Sequence[MemberRecord],
    metrics: Sequence[str],
) -> Table:
    estimator_of = {r.id: _short_target(r.estimator or "") for r in runs}
    table = Table(title=f"sweep {sweep.id} ({sweep.experiment}, {sweep.state})")
    for column in ("member", "value", "estimator", "state", "rows", *metrics, "reason"):
        table.add_column(column)
    for m in members:
        values = m.metrics or {}
        table.add_row(
            m.id,
            shown_value(_member_value(m)),
            estimator_of.get(m.run_id, ""),
            m.state,
            str(m.n_rows),
            *(_fmt(values.get(k)) for k in metrics),
            Text(m.reason or ""),
        )
    return table


def _member_value(member: MemberRecord) -> Any:
    if member.member_value is not None or member.member_key == "__global__":
        return member.member_value
    return member.member_key  # recorded before values were kept: the key was the value


def compare_rows(
    runs: Sequence[RunHeader], members: Sequence[MemberRecord], metrics: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per run: member counts and the mean (and global model's) value of each metric."""
    rows = []
    for run in runs:
        own = [m for m in members if m.run_id == run.id]
        ok = [(m, m.metrics) for m in own if m.state in ("succeeded", "cached") and m.metrics]
        row: dict[str, Any] = {
            "run": run.id,
            "estimator": _short_target(run.estimator or ""),
            "overrides": " ".join(run.overrides or []),
            "succeeded": len(ok),
            "failed": sum(m.state == "failed" for m in own),
            "skipped": sum(m.state == "skipped" for m in own),
        }
        for metric in metrics:
            values = [v[metric] for _, v in ok if v.get(metric) is not None]
            row[f"mean_{metric}"] = fmean(values) if values else None
            glob = next((v for m, v in ok if m.member_key == "__global__"), None)
            row[f"global_{metric}"] = glob.get(metric) if glob else None
        rows.append(row)
    return rows


def composition_rows(compositions: Sequence[CompositionRecord]) -> list[dict[str, Any]]:
    """One row per recorded composition: its metrics and the global model's on the same rows."""
    rows = []
    for c in compositions:
        m = c.metrics or {}
        g = m.get("global") or {}
        export = c.export or {}
        row: dict[str, Any] = {
            "run": c.run_id,
            "composition": c.name,
            "kind": c.kind,
            "rows": m.get("n_holdout"),
            "routed_share": m.get("coverage_rows"),
        }
        for metric in ("roc_auc", "pr_auc", "log_loss"):
            row[metric] = m.get(metric)
            row[f"global_{metric}"] = g.get(metric)
        row["bundle"] = (
            None
            if not export
            else "exportable"
            if export.get("exportable")
            else f"not exportable: {export.get('reason')}"
        )
        rows.append(row)
    return rows


def rows_table(title: str, rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title=title)
    if not rows:
        return table
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_fmt(v) for v in row.values()))
    return table


def print_table(table: Table) -> None:
    _console.print(table)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def print_line(text: str) -> None:
    """One line of plain text (never read as markup), as wide as the tables."""
    _console.print(Text(text))


def k8s_status_table(report: dict[str, Any]) -> Table:
    """``railyard-batch status``: the sweep's member states in the title, one row per Job
    with why it is not done (its reason, and its pods' waiting reasons)."""
    counts = ", ".join(f"{k}={v}" for k, v in sorted(report["members"].items())) or "none"
    table = Table(
        title=Text(f"sweep {report['sweep']} (namespace {report['namespace']}): members {counts}")
    )
    for column in ("job", "state", "shards", "succeeded", "failed", "active", "why"):
        table.add_column(column)
    for job in report["jobs"]:
        why = [job["reason"]] if job["reason"] else []
        why += [f"{n} pod(s) waiting: {reason}" for reason, n in job["waiting"].items()]
        table.add_row(
            *(
                Text(str(value))
                for value in (
                    job["job"],
                    job["state"],
                    job["shards"],
                    job["succeeded"],
                    job["failed"],
                    job["active"],
                    "; ".join(why),
                )
            )
        )
    return table


def schedules_table(found: Sequence[dict[str, Any]], namespace: str) -> Table:
    """``railyard-batch schedules list``: each schedule, when it runs, the commit it runs, its
    last Jobs and whether the project drifted from it."""
    table = Table(title=Text(f"scheduled sweeps in namespace {namespace}"))
    for column in ("schedule", "when", "commit", "last runs", "drift from HEAD"):
        table.add_column(column)
    for item in found:
        runs = "\n".join(f"{r['job']}: {r['state']}" for r in item["runs"]) or "none yet"
        d = item["drift"]
        text = {True: "drifted", False: "no", None: "unknown"}[d["drifted"]] + f": {d['why']}"
        when = f"{item['schedule']} ({item['time_zone'] or 'UTC'})"
        if item["suspended"]:
            when += ", suspended"
        table.add_row(
            Text(item["name"]), Text(when), Text(item["git_commit"][:12]), Text(runs), Text(text)
        )
    return table


def reproduce_table(result: Any) -> Table:
    """One row per re-trained member: does the model hash match, which metrics differ."""
    table = Table(title=f"reproduce {result.run_id} (data md5 {result.data_md5})")
    for column in ("member", "matches", "model sha256 (recorded / now)", "metric differences"):
        table.add_column(column)
    for m in result.members:
        hashes = f"{(m.model_sha256_recorded or '-')[:12]} / {(m.model_sha256_now or '-')[:12]}"
        diffs = m.error or ", ".join(
            f"{k}: {a} -> {b}" for k, (a, b) in m.metric_differences.items()
        )
        table.add_row(m.member_id, "yes" if m.matches else "NO", hashes, diffs)
    if result.version_differences:
        table.caption = "package versions differ: " + ", ".join(
            f"{k} {a} -> {b}" for k, (a, b) in result.version_differences.items()
        )
    return table
