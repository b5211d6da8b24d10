"""A plan for people: rich tables on a terminal, or markdown for a pull-request comment (counts
first, the details folded in ``<details>``). ``--json`` prints :meth:`PlanDiff.to_dict`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.table import Table
from rich.text import Text

from railyard_batch.change_plan.diff import STATUSES, MemberDiff, PlanDiff, reason_text
from railyard_batch.output.report import print_table, shown_value

# Members listed by value in the markdown and table outputs (all of them are in --json).
MAX_LISTED = 50
HEADINGS = {"added": "added", "removed": "removed", "changed": "retrain", "unchanged": "unchanged"}


def _side_text(side: dict[str, Any]) -> str:
    commit = side.get("commit")
    return f"{side['label']} ({commit[:12]})" if commit else str(side["label"])


def headline(diff: PlanDiff) -> str:
    c = diff.counts
    return (
        f"{c['added']} added, {c['removed']} removed, {c['changed']} retrain, "
        f"{c['unchanged']} unchanged"
    )


def estimate_text(diff: PlanDiff) -> str:
    e = diff.estimate
    if not e or not e.get("members_to_train"):
        return "nothing to train"
    if not e["estimated_members"]:
        return f"{e['members_to_train']} member(s) to train; no recorded durations to estimate from"
    text = (
        f"{e['members_to_train']} member(s) to train: ~{_duration(e['seconds'])} "
        f"({e['cpu_hours']:.2f} CPU h, {e['gpu_hours']:.2f} GPU h)"
    )
    if e["already_in_store"]:
        text += f"; {e['already_in_store']} already in the run store (cached unless --force)"
    if e["without_estimate"]:
        text += f"; {e['without_estimate']} without a recorded duration to go by"
    return text


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def grouped_changes(diff: PlanDiff) -> list[tuple[str, list[MemberDiff], list[str]]]:
    """Changed members grouped by estimator and identical reasons: ``(estimator, members,
    reason texts)``, largest group first."""
    groups: dict[tuple[str, tuple[str, ...]], list[MemberDiff]] = defaultdict(list)
    for d in diff.members:
        if d.status == "changed":
            texts = tuple(reason_text(r) for r in d.reasons if r["kind"] != "rows")
            groups[(d.estimator, texts)].append(d)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [(est, members, list(texts)) for (est, texts), members in ordered]


def _value_text(d: MemberDiff) -> str:
    return str(shown_value(d.value, width=40)) if d.value is not None else "(global)"


def fanout_groups(diff: PlanDiff) -> list[tuple[MemberDiff, list[str], str]]:
    """Added and removed members, one row per value and reason: ``(first member, estimators,
    why)``; the same value in three estimators' jobs is one row."""
    groups: dict[tuple[str, str, str, str], tuple[MemberDiff, list[str], str]] = {}
    for d in diff.members:
        if d.status not in ("added", "removed"):
            continue
        why = "; ".join(reason_text(r) for r in d.reasons)
        group = groups.setdefault((d.status, d.key, str(d.n_rows), why), (d, [], why))
        if d.estimator not in group[1]:
            group[1].append(d.estimator)
    return list(groups.values())


def markdown(diff: PlanDiff, command: str) -> str:
    lines = [
        f"### railyard-batch plan: `{command}`",
        "",
        f"**{headline(diff)}** ({_side_text(diff.new)} against {_side_text(diff.old)}); "
        f"{estimate_text(diff)}.",
        "",
        "| estimator | " + " | ".join(HEADINGS[s] for s in STATUSES) + " |",
        "|---|" + "---:|" * len(STATUSES),
    ]
    for estimator, row in sorted(diff.by_estimator.items()):
        lines.append(f"| {estimator} | " + " | ".join(str(row[s]) for s in STATUSES) + " |")
    for note in diff.notes:
        lines += ["", f"> **Note:** {note}"]
    groups = grouped_changes(diff)
    if groups:
        lines += [
            "",
            f"<details><summary>Why {diff.counts['changed']} member(s) retrain</summary>",
            "",
        ]
        for estimator, members, texts in groups:
            why = "; ".join(f"`{_md(t)}`" for t in texts) or "content key changed"
            lines.append(f"- **{estimator}** ({len(members)} member(s)): {why}")
        lines += ["", "</details>"]
    fanout = fanout_groups(diff)
    if fanout:
        n = diff.counts["added"] + diff.counts["removed"]
        lines += [
            "",
            f"<details><summary>{n} member(s) added or removed</summary>",
            "",
            "| change | member | rows | estimators | why |",
            "|---|---|---:|---|---|",
        ]
        for d, estimators, why in fanout[:MAX_LISTED]:
            lines.append(
                f"| {d.status} | {_md(_value_text(d))} | {d.n_rows} | {', '.join(estimators)} "
                f"| {_md(why)} |"
            )
        if len(fanout) > MAX_LISTED:
            lines.append(f"| ... | {len(fanout) - MAX_LISTED} more (see --json) | | | |")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text safe in a markdown table cell and in inline code (no pipes, no newlines, no HTML)."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("`", "'")
        .replace("<", "&lt;")
        .replace("\n", " ")
        .replace("\r", " ")
    )


def print_plan(diff: PlanDiff) -> None:
    summary = Table(
        title=f"plan: {_side_text(diff.new)} against {_side_text(diff.old)}: {headline(diff)}"
    )
    summary.add_column("estimator")
    for s in STATUSES:
        summary.add_column(HEADINGS[s], justify="right")
    for estimator, row in sorted(diff.by_estimator.items()):
        summary.add_row(estimator, *(str(row[s]) for s in STATUSES))
    print_table(summary)
    groups = grouped_changes(diff)
    if groups:
        reasons = Table(title="why members retrain")
        for name in ("estimator", "members", "reasons"):
            reasons.add_column(name)
        for estimator, members, texts in groups:
            reasons.add_row(estimator, str(len(members)), Text("\n".join(texts)))
        print_table(reasons)
    fanout = fanout_groups(diff)
    if fanout:
        table = Table(title="members added or removed")
        for name in ("change", "member", "rows", "estimators", "why"):
            table.add_column(name)
        for d, estimators, why in fanout[:MAX_LISTED]:
            table.add_row(
                d.status,
                shown_value(d.value) if d.value is not None else Text("(global)"),
                str(d.n_rows),
                ", ".join(estimators),
                Text(why),
            )
        print_table(table)
        if len(fanout) > MAX_LISTED:
            print(f"... and {len(fanout) - MAX_LISTED} more (see --json)")
    for note in diff.notes:
        print(f"note: {note}")
    print(estimate_text(diff))
