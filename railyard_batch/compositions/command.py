"""``railyard-batch compose SWEEP [--composition NAME]``: evaluate a composition of each run of
a sweep that has a fan-out and a global member; print a table (or JSON) and write the result
to ``<artifact_root>/compositions/<run>/<name>.json``."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from railyard_batch.errors import ConfigError


def add_parser(sub: Any, default_store: str) -> None:
    compose = sub.add_parser(
        "compose",
        help="evaluate a composition of a sweep's members (routed, blend) against the global model",
    )
    compose.add_argument("sweep", help="sweep id (see runs list)")
    compose.add_argument(
        "--composition",
        default="routed",
        help="a file of conf/composition/ without .yaml (default: %(default)s)",
    )
    compose.add_argument(
        "--store",
        default=os.environ.get("RAILYARD_STORE", default_store),
        help="run store URL (default: %(default)s, or $RAILYARD_STORE)",
    )
    compose.add_argument(
        "--conf-dir",
        type=Path,
        default=Path(os.environ.get("RAILYARD_CONF_DIR", "conf")),
        help="the project's conf/ (default: %(default)s)",
    )
    compose.add_argument("--json", action="store_true", help="print the results as JSON")


def run(ns: argparse.Namespace) -> int:
    from railyard_batch import report
    from railyard_batch.compositions import spec as specs
    from railyard_batch.compositions.evaluate import GLOBAL_KEY, evaluate
    from railyard_batch.export import Holdouts
    from railyard_batch.store import RunStore

    composition = specs.load(ns.conf_dir, ns.composition)
    store = RunStore(ns.store)
    try:
        runs = store.runs(store.sweep(ns.sweep)["id"])
        members = store.members(sweep_id=ns.sweep)
        holdouts = Holdouts(store)
        results = []
        for r in runs:
            of_run = [m for m in members if m["run_id"] == r["id"]]
            if not any(m["member_key"] == GLOBAL_KEY for m in of_run) and len(runs) > 1:
                continue  # a run of the sweep without a global model: nothing to fall back to
            results.append(evaluate(holdouts, r, of_run, composition))
    finally:
        store.close()
    if not results:
        raise ConfigError(f"Sweep {ns.sweep!r} has no run with a global member to compose.")
    for result in results:
        out = Path(results_root(runs, result["run"])) / f"{composition.name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(json.dumps(result, indent=2, sort_keys=True))
        os.replace(tmp, out)
        page = out.with_suffix(".html")
        tmp = page.with_name(f".{page.name}.tmp")
        tmp.write_text(html_page(result))
        os.replace(tmp, page)
        result["file"], result["page"] = str(out), str(page)
    if ns.json:
        report.print_json(results)
    else:
        for result in results:
            report.print_table(table(result))
            print(f"written: {result['file']}, {result['page']}")
    return 0


def results_root(runs: list[dict[str, Any]], run_id: str) -> str:
    artifact_uri = next(r["artifact_uri"] for r in runs if r["id"] == run_id)
    return str(Path(artifact_uri) / "compositions")


def table(result: dict[str, Any]) -> Any:
    from rich.table import Table
    from rich.text import Text

    cov = result["coverage"]
    spec = result["composition"]
    t = Table(
        title=Text(
            f"{spec['kind']} composition '{spec['name']}' of run {result['run']}: {result['rows']}"
            f" rows ({result['rows_excluded']} left out: a member trained on them),"
            f" {cov['rows']:.1%} routed to {cov['values_covered']}/{cov['values_in_rows']} own members"
        )
    )
    for column in ("rows", "model", "roc_auc", "pr_auc", "log_loss"):
        t.add_column(column)

    def fmt(v: Any) -> str:
        return "-" if v is None else f"{v:.4f}"

    def line(where: str, model: str, m: dict[str, Any]) -> None:
        t.add_row(where, model, fmt(m["roc_auc"]), fmt(m["pr_auc"]), fmt(m["log_loss"]))

    line("all", spec["name"], result["composition_metrics"])
    line("all", "global", result["global_metrics"])
    covered = result["covered_rows"]
    line("routed", "own member", covered["own_member"])
    line("routed", "global", covered["global"])
    for d in result["by_size_decile"]:
        where = f"size decile {d['decile']} ({d['min_size']}-{d['max_size']} rows)"
        line(where, spec["name"], d["composition"])
        line(where, "global", d["global"])
    return t


def html_page(result: dict[str, Any]) -> str:
    """One self-contained page: the PR curves of the composition and the global model on the
    same rows, and PR AUC by fan-out size decile, with the numbers as a table."""
    import html

    import plotly.graph_objects as go
    from plotly.io import to_html

    e = html.escape
    spec = result["composition"]
    curves = go.Figure(
        [
            go.Scatter(x=c["recall"], y=c["precision"], mode="lines", name=label)
            for label, c in (
                (spec["name"], result["pr_curves"]["composition"]),
                ("global", result["pr_curves"]["global"]),
            )
        ]
    )
    curves.update_layout(
        title=f"Precision-recall on {result['rows']} rows",
        xaxis_title="recall",
        yaxis_title="precision",
    )
    deciles = result["by_size_decile"]
    labels = [f"{d['decile']} ({d['min_size']}-{d['max_size']})" for d in deciles]
    bars = go.Figure(
        [
            go.Bar(x=labels, y=[d["composition"]["pr_auc"] for d in deciles], name=spec["name"]),
            go.Bar(x=labels, y=[d["global"]["pr_auc"] for d in deciles], name="global"),
        ]
    )
    bars.update_layout(
        title="PR AUC by merchant-size decile (rows in the dataset)",
        xaxis_title="decile",
        yaxis_title="PR AUC",
        barmode="group",
    )

    def fmt(v: Any) -> str:
        return "-" if v is None else f"{v:.4f}"

    rows = "".join(
        f"<tr><td>{e(where)}</td><td>{e(model)}</td><td>{m['rows']}</td><td>{fmt(m['roc_auc'])}</td>"
        f"<td>{fmt(m['pr_auc'])}</td><td>{fmt(m['log_loss'])}</td></tr>"
        for where, model, m in (
            ("all", spec["name"], result["composition_metrics"]),
            ("all", "global", result["global_metrics"]),
            ("routed", "own member", result["covered_rows"]["own_member"]),
            ("routed", "global", result["covered_rows"]["global"]),
        )
    )
    cov = result["coverage"]
    return "".join(
        [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{e(spec['kind'])} composition {e(spec['name'])}: {e(result['run'])}</title>",
            "</head><body>",
            f"<h1>{e(spec['kind'])} composition <code>{e(spec['name'])}</code> of run"
            f" <code>{e(result['run'])}</code></h1>",
            f"<p id='coverage'>{result['rows']} rows ({result['rows_excluded']} left out: a routed"
            f" member trained on them); {cov['rows']:.1%} of rows routed to"
            f" {cov['values_covered']} of {cov['values_in_rows']} own members.</p>",
            "<table id='metrics' border='1'><tr><th>rows</th><th>model</th><th>n</th>"
            "<th>ROC AUC</th><th>PR AUC</th><th>log loss</th></tr>",
            rows,
            "</table>",
            to_html(curves, include_plotlyjs=True, full_html=False),
            to_html(bars, include_plotlyjs=False, full_html=False),
            "</body></html>",
        ]
    )
