"""Tables people read for ``models list|show|history|shadow|report`` (rich; plain text is
never markup), printed through railyard_batch/output/report.py's console, as every command's."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

# the commands print through these (re-exported)
from railyard_batch.output.report import print_json as print_json
from railyard_batch.output.report import print_table as print_table


def _short(version: str | None) -> str:
    return "-" if version is None else version[:12]


def models_table(models: list[dict[str, Any]]) -> Table:
    table = Table(title="registered models")
    for column in ("model", "versions", "aliases", "created"):
        table.add_column(column)
    for m in models:
        held = " ".join(f"{a}={_short(v)}" for a, v in m["aliases"].items())
        table.add_row(Text(m["name"]), str(m["versions"]), Text(held or "-"), m["created_at"])
    return table


def model_table(model: dict[str, Any]) -> Table:
    table = Table(title=f"model {model['name']}")
    for column in (
        "version",
        "aliases",
        "member",
        "estimator",
        "roc_auc",
        "pr_auc",
        "parity",
        "tags",
        "registered",
    ):
        table.add_column(column)
    for v in model["versions"]:
        metrics = v["metrics"]
        table.add_row(
            _short(v["version"]),
            Text(" ".join(v["aliases"]) or "-"),
            Text(str(v["member_id"])),
            str(v["estimator"]).rsplit(".", 1)[-1],
            _metric(metrics.get("roc_auc")),
            _metric(metrics.get("pr_auc")),
            "passed" if v["parity_passed"] and v["exportable"] else "failed",
            Text(" ".join(f"{k}={val}" for k, val in sorted(v["tags"].items())) or "-"),
            v["registered_at"],
        )
    return table


def _metric(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}"


def history_table(history: dict[str, Any]) -> Table:
    if "events" not in history:  # --at: one answer
        table = Table(title=f"{history['name']}: {history['alias']} at {history['at']}")
        table.add_column("")
        table.add_column("")
        table.add_row("version", _short(history["version"]))
        for label, key in (("since", "since"), ("changed next", "next")):
            e = history[key]
            table.add_row(label, Text("-" if e is None else _event_text(e)))
        return table
    table = Table(title=f"history of {history['name']}")
    for column in ("event", "at", "kind", "alias/tag", "from", "to", "actor", "reason", "evidence"):
        table.add_column(column)
    for e in history["events"]:
        target = e["alias"] or (f"{e['tag_key']}={e['tag_value'] or ''}" if e["tag_key"] else "")
        table.add_row(
            str(e["id"]),
            e["at"],
            e["kind"] + (" (forced)" if e["forced"] else ""),
            Text(target or "-"),
            _short(e["from_version"]),
            _short(e["to_version"]),
            Text(e["actor"]),
            Text(e["reason"] or "-"),
            Text(e["evidence"] or "-"),
        )
    return table


def _event_text(e: dict[str, Any]) -> str:
    forced = " (forced)" if e["forced"] else ""
    return (
        f"event {e['id']} at {e['at']}: {e['kind']}{forced} {_short(e['from_version'])} ->"
        f" {_short(e['to_version'])} by {e['actor']}: {e['reason'] or '-'}"
    )


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(_num(v) for v in value) + "]"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def shadow_table(report: dict[str, Any]) -> Table:
    """A shadow report: the two models' outcome metrics with their intervals, then the
    decisions and the shift between them."""
    table = Table(
        title=Text(
            f"shadow {report['id']}: {report['model']} candidate {_short(report['versions']['candidate'])}"
            f" vs production {_short(report['versions']['production'])} ({report['rows']} rows)"
        )
    )
    for column in ("measure", "production", "candidate", "candidate - production (95%)"):
        table.add_column(column)
    intervals = report.get("intervals") or {}
    for metric in ("roc_auc", "pr_auc", "log_loss", "precision", "recall"):
        table.add_row(
            metric,
            _num(report["production"].get(metric)),
            _num(report["candidate"].get(metric)),
            _num((intervals.get("difference") or {}).get(metric)),
        )
    flips = report["flips"]
    table.add_row(
        "blocked (at production's threshold)",
        str(flips["both_block"] + flips["production_only"]),
        str(flips["both_block"] + flips["candidate_only"]),
        f"flips: {flips['production_only']} production only, {flips['candidate_only']} candidate only",
    )
    for key in ("flip_rate", "psi", "ks", "spearman"):
        table.add_row(key, "", "", _num(report.get(key)))
    return table


BY_VALUE_ROWS = 20  # a terminal's worth; the JSON and the HTML page have more


def by_value_table(report: dict[str, Any]) -> Table | None:
    """A shadow report's largest fan-out values: rows, each model's PR AUC, the flip rate
    (None when the report's rows are of one value)."""
    breakdown = report.get("by_value")
    if not breakdown:
        return None
    items = breakdown["values"]
    shown = f"the {BY_VALUE_ROWS} largest of {len(items)}" if len(items) > BY_VALUE_ROWS else "all"
    table = Table(title=Text(f"by {breakdown['column']} ({shown} values)"))
    for column in (str(breakdown["column"]), "rows", "PR AUC production", "candidate", "flip rate"):
        table.add_column(Text(column))
    for item in items[:BY_VALUE_ROWS]:
        table.add_row(
            Text("(missing)" if item["value"] is None else str(item["value"])),
            str(item["rows"]),
            _num(item["production"]["pr_auc"]),
            _num(item["candidate"]["pr_auc"]),
            _num(item["flip_rate"]),
        )
    return table


def sweep_shadow_table(summary: dict[str, Any]) -> Table:
    """A sweep's shadow: one row per name, the figures the promotion gate reads."""
    lines = summary["reports"]
    skipped = summary["skipped"]
    table = Table(
        title=Text(
            f"shadow of sweep {summary['sweep']}: {len(lines)} compared,"
            f" {len(skipped['no_production'])} without production,"
            f" {len(skipped['already_production'])} already production"
        )
    )
    for column in ("model", "report", "rows", "PR AUC prod", "PR AUC cand", "diff (95%)"):
        table.add_column(column)
    for column in ("flip rate", "PSI", "KS", "Spearman"):
        table.add_column(column, justify="right")
    for r in lines:
        table.add_row(
            r["model"],
            r["report"],
            str(r["rows"]),
            _num(r["pr_auc"]["production"]),
            _num(r["pr_auc"]["candidate"]),
            _num(r["pr_auc_difference_interval"]),
            *(_num(r[k]) for k in ("flip_rate", "psi", "ks", "spearman")),
        )
    return table


def promote_sweep_table(sweep: str, results: list[dict[str, Any]]) -> Table:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    table = Table(title=Text(f"promotion of sweep {sweep}: {summary}"))
    for column in ("model", "version", "result", "why"):
        table.add_column(column)
    for r in results:
        table.add_row(
            Text(r["model"]), _short(r["version"]), r["result"], Text(r.get("reason") or "")
        )
    return table
